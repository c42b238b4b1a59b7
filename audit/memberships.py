"""Membership changes (many-to-many: a group's boxes, areas and people, a person's groups) as
entries with the whole membership before and after, on the object whose list was edited
(`group.people.set(...)` is the group's change, `person.permission_groups.set(...)` the person's).

django-auditlog records an m2m change as the objects added or removed only, and always under the
forward field's name; this keeps its entry shape ({field: [before, after]}) with the real lists."""
from __future__ import annotations

from django.db import models
from django.db.models.signals import m2m_changed

from .context import current_operator
from .models import AuditEntry

_BEFORE = "_audit_membership_before"


def track(field: models.ManyToManyField) -> None:
    """Record operators' changes to `field`'s memberships, from either side."""
    m2m_changed.connect(_changed(field), sender=field.remote_field.through, weak=False,
                        dispatch_uid=f"audit-m2m-{field.model._meta.label}.{field.name}")


def _changed(field: models.ManyToManyField):
    def receiver(sender, instance: models.Model, action: str, reverse: bool, **kwargs) -> None:
        if current_operator() is None:
            return
        name = field.remote_field.get_accessor_name() if reverse else field.name
        stash = instance.__dict__.setdefault(_BEFORE, {})
        if action.startswith("pre_"):
            stash[name] = _members(instance, name)
        elif action.startswith("post_") and name in stash:
            before, after = stash.pop(name), _members(instance, name)
            if before != after:
                AuditEntry.objects.log_create(instance, action=AuditEntry.Action.UPDATE,
                                              changes={name: [before, after]})
    return receiver


def _members(instance: models.Model, accessor: str) -> list[str]:
    return sorted(str(member) for member in getattr(instance, accessor).all())
