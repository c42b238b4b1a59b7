"""Recording what an operator did that is not a field change (a wipe sent, a photo checked by a
box), and the labels of those operations. Field changes are recorded by themselves (registry.py)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from cloudplatform.db.batches import delete_in_batches

from .context import Operator, acting, operation
from .models import AuditEntry
from .operations import OPERATIONS
from .registry import ACTION_TARGETS, AUDITED_MODELS

__all__ = ["OPERATIONS", "acting_as_creator_of", "operation", "purge_entries_before", "record_action"]


def record_action(instance: models.Model, name: str, *, changes: dict[str, list] | None = None,
                  details: dict[str, Any] | None = None) -> AuditEntry | None:
    """An entry saying the operator did `name` to `instance` (an OPERATIONS key); `changes` as
    field → [before, after] when there is a before and after, `details` for the rest (the
    commands sent). Nothing is written when no operator acts."""
    if name not in OPERATIONS:
        raise ValueError(f"unknown audit operation {name!r}: add it to audit.operations.OPERATIONS")
    if instance._meta.label not in AUDITED_MODELS and instance._meta.label not in ACTION_TARGETS:
        raise ValueError(f"{instance._meta.label} is not in audit.registry (AUDITED_MODELS or ACTION_TARGETS)")
    return AuditEntry.objects.log_create(instance, force_log=True, action=AuditEntry.Action.UPDATE,
                                         changes=changes or {}, operation=name, additional_data=details or None)


@contextmanager
def acting_as_creator_of(instance: models.Model) -> Iterator[None]:
    """Work a worker carries on for an operator (an import): recorded as the operator's, from the
    address they started it from, as the entry of the object's creation says."""
    created = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(instance),
                                        object_pk=str(instance.pk), action=AuditEntry.Action.CREATE).first()
    starter = Operator(created.actor, created.remote_addr) if created and created.actor else None
    with acting(starter):
        yield


def purge_entries_before(cutoff: datetime, batch: int | None = None) -> int:
    """Delete the entries made before `cutoff` (the site's retention, AUDIT_RETENTION_DAYS),
    oldest first through the timestamp index, `batch` at a time (EVENT_RETENTION_BATCH), each
    batch one short statement by primary key; the number deleted."""
    batch = batch or settings.EVENT_RETENTION_BATCH
    old = AuditEntry.objects.filter(timestamp__lt=cutoff).order_by("timestamp", "id").values_list("id", flat=True)
    return delete_in_batches(old, batch)
