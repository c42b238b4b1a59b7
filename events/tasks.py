from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services import purge_events_before


@shared_task
def purge_old_events() -> dict:
    """Retention: events, their pictures and quarantined events older than EVENT_RETENTION_DAYS (0 keeps all)."""
    if settings.EVENT_RETENTION_DAYS <= 0:
        return {"events": 0, "pictures": 0, "quarantined": 0}
    return purge_events_before(timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS))
