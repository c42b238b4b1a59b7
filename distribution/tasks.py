"""Distribution's Celery tasks: publishing commands, and beat's resend and expiry of lost ones.

They keep the names they were registered under in `users.tasks` before the app split (issue
14), so task messages already queued, and CELERY_BEAT_SCHEDULE, still name them."""
import logging
from collections import defaultdict
from datetime import timedelta

import pika
from celery import chain, shared_task
from django.conf import settings
from django.db.models import F, QuerySet
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


def publish_one_after_another(command_ids: list[int]) -> None:
    """Publish the commands in this order, each once the one before is taken. Separate tasks run
    in parallel on the worker's processes and may reach the box's queue in either order (a send
    before the delete or wipe it must follow: the box then deletes the person it was just sent)."""
    chain(*(publish_command.si(pk) for pk in command_ids)).delay()


def publish_again(commands: QuerySet[Command]) -> int:
    """Publish `commands` again, each box's in the order they were made (the model's order is
    the newest first); how many. The order holds among the commands of one call: beat's two
    passes (lost, unanswered) each keep their own, and the box ignores a messageId it has seen."""
    by_box: dict[int, list[int]] = defaultdict(list)
    for pk, box_id in commands.order_by("created_at", "id").values_list("pk", "box_id"):
        by_box[box_id].append(pk)
    for command_ids in by_box.values():
        publish_one_after_another(command_ids)
    return sum(len(command_ids) for command_ids in by_box.values())


@shared_task(name="users.tasks.requeue_stuck_commands")
def requeue_stuck_commands() -> int:
    """Commands still queued a while after creation lost their task (a worker died): send again."""
    cutoff = timezone.now() - timedelta(seconds=30)
    return publish_again(Command.objects.filter(state=Command.State.QUEUED, created_at__lt=cutoff))


@shared_task(name="users.tasks.expire_commands")
def expire_commands() -> dict:
    """Published commands with no result in COMMAND_RESULT_TIMEOUT: send again (the box answers a
    repeated messageId without applying it twice), and after COMMAND_MAX_ATTEMPTS mark them expired."""
    cutoff = timezone.now() - timedelta(seconds=settings.COMMAND_RESULT_TIMEOUT)
    late = Command.objects.filter(state=Command.State.PUBLISHED, published_at__lt=cutoff)
    given_up = list(late.filter(attempts__gte=settings.COMMAND_MAX_ATTEMPTS))
    resent = publish_again(late.filter(attempts__lt=settings.COMMAND_MAX_ATTEMPTS))
    expired = 0
    for command in given_up:
        Command.objects.filter(pk=command.pk, state=Command.State.PUBLISHED).update(
            state=Command.State.EXPIRED, finished_at=timezone.now(), last_error="no result from the box"
        )
        Enrolment.objects.filter(command=command, state=Enrolment.State.PENDING).update(
            state=Enrolment.State.FAILED, message="The box did not answer."
        )
        expired += 1
    return {"resent": resent, "expired": expired}
