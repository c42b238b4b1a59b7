from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services import purge_entries_before


@shared_task
def purge_old_audit_entries() -> int:
    """Retention: audit entries older than AUDIT_RETENTION_DAYS (0, the default, keeps all)."""
    if settings.AUDIT_RETENTION_DAYS <= 0:
        return 0
    return purge_entries_before(timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS))
