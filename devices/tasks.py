import logging

from celery import shared_task

from .broker import BrokerAdminError, broker_admin
from .models import Box
from .services import mark_offline_if_silent, repair_broker_identity

logger = logging.getLogger(__name__)


@shared_task
def reconcile_broker_identities() -> dict:
    """Repair the broker after a reset or a manual change: enabled boxes get the missing parts
    of their user, queues and permissions back; disabled boxes lose any user that reappeared.
    One snapshot of the broker for all of them, then only the calls that change something."""
    admin = broker_admin()
    admin.ensure_platform_topology()
    snapshot = admin.snapshot()
    repaired = revoked = failed = 0
    for box in Box.objects.iterator():
        try:
            if box.enabled:
                repaired += bool(repair_broker_identity(box, admin, lambda: snapshot))
            elif box.broker_username in snapshot.users:
                admin.revoke_box_access(box)
                revoked += 1
        except BrokerAdminError as exc:
            failed += 1
            logger.error("reconcile %s: %s", box, exc)
    return {"repaired": repaired, "revoked": revoked, "failed": failed}


@shared_task
def mark_silent_boxes_offline() -> int:
    """Boxes that missed three status periods turn offline; their next call brings them back."""
    return sum(mark_offline_if_silent(box) for box in Box.objects.filter(online=True))
