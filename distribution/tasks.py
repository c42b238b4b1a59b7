"""Distribution's Celery tasks: publishing commands, and beat's resend and expiry of lost ones.

They keep the names they were registered under in `users.tasks` before the app split (issue
14), so task messages already queued, and CELERY_BEAT_SCHEDULE, still name them."""
import logging
from datetime import timedelta

import pika
from celery import shared_task
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudplatform.amqp import describe
from devices.broker import BrokerAdminError, broker_admin

from . import live
from .models import Command, Enrolment
from .publisher import publisher

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(pika.exceptions.AMQPError, BrokerAdminError, OSError),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=None,
    name="users.tasks.publish_command",
)
def publish_command(self, command_id: int) -> str:
    """Publish a queued command; retried with back-off until the broker takes it. Each failure
    is kept on the command (publish_error), so the console says why it is still pending."""
    command = Command.objects.select_related("box").filter(pk=command_id).first()
    if command is None or command.state not in (Command.State.QUEUED, Command.State.PUBLISHED):
        return "skipped"
    try:
        publisher().publish(command.box, command.payload)
    except pika.exceptions.UnroutableError as exc:
        _publish_failed(command_id, exc)
        # The box's queue is gone (broker reset?): recreate its identity, then retry.
        broker_admin().ensure_box_identity(command.box)
        raise
    except Exception as exc:
        _publish_failed(command_id, exc)
        raise
    Command.objects.filter(pk=command_id).update(attempts=F("attempts") + 1, published_at=timezone.now(),
                                                 publish_error="")
    if Command.objects.filter(pk=command_id, state=Command.State.QUEUED).update(state=Command.State.PUBLISHED):
        live.command_changed(Command.objects.get(pk=command_id))
    return "published"


def _publish_failed(command_id: int, exc: Exception) -> None:
    reason = publish_failure_text(exc)
    logger.warning("command %s not published: %s", command_id, reason)
    Command.objects.filter(pk=command_id).update(publish_error=reason[:500])


def publish_failure_text(exc: Exception) -> str:
    """What the console shows: where the platform tried to publish, and what RabbitMQ said."""
    if isinstance(exc, pika.exceptions.UnroutableError):
        what = _("the box's queue does not exist (it is being recreated)")
    else:
        what = f"{exc.__class__.__name__}: {exc}".rstrip(": ")
    return _("Not delivered to RabbitMQ (%(where)s): %(what)s") % {
        "where": describe(settings.BOX_VHOST), "what": what}


@shared_task(name="users.tasks.requeue_stuck_commands")
def requeue_stuck_commands() -> int:
    """Commands still queued a while after creation lost their task (a worker died): send again."""
    cutoff = timezone.now() - timedelta(seconds=30)
    stuck = list(Command.objects.filter(state=Command.State.QUEUED, created_at__lt=cutoff).values_list("pk", flat=True))
    for pk in stuck:
        publish_command.delay(pk)
    return len(stuck)


@shared_task(name="users.tasks.expire_commands")
def expire_commands() -> dict:
    """Published commands with no result in COMMAND_RESULT_TIMEOUT: send again (the box answers a
    repeated messageId without applying it twice), and after COMMAND_MAX_ATTEMPTS mark them expired."""
    cutoff = timezone.now() - timedelta(seconds=settings.COMMAND_RESULT_TIMEOUT)
    late = Command.objects.filter(state=Command.State.PUBLISHED, published_at__lt=cutoff)
    resent = expired = 0
    for command in late:
        if command.attempts < settings.COMMAND_MAX_ATTEMPTS:
            publish_command.delay(command.pk)
            resent += 1
            continue
        Command.objects.filter(pk=command.pk, state=Command.State.PUBLISHED).update(
            state=Command.State.EXPIRED, finished_at=timezone.now(), last_error="no result from the box"
        )
        Enrolment.objects.filter(command=command, state=Enrolment.State.PENDING).update(
            state=Enrolment.State.FAILED, message="The box did not answer."
        )
        expired += 1
    return {"resent": resent, "expired": expired}
