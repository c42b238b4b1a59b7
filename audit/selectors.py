"""Reading the audit trail: the kinds of object it records, the actions, and an entry's changes
as rows of a readable diff."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import pgettext_lazy

from .models import AuditEntry
from .operations import OPERATIONS
from .registry import ACTION_TARGETS, AUDITED_MODELS

ACTION_LABELS = {"create": pgettext_lazy("audit action", "Created"), "update": pgettext_lazy("audit action", "Updated"),
                 "delete": pgettext_lazy("audit action", "Deleted")}


def entries() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("content_type")


def kinds() -> list[tuple[str, str]]:
    """("app_label.model", its name) of every audited model, by name."""
    found = []
    for label in [*AUDITED_MODELS, *ACTION_TARGETS]:
        model = apps.get_model(label)
        found.append((f"{model._meta.app_label}.{model._meta.model_name}", str(model._meta.verbose_name)))
    return sorted(found, key=lambda kind: kind[1].lower())


def actions() -> list[tuple[str, str]]:
    return [*ACTION_LABELS.items(), *OPERATIONS.items()]


def action_label(entry: AuditEntry) -> str:
    return str(dict(actions()).get(entry.what, entry.what))


def kind_label(entry: AuditEntry) -> str:
    model = entry.content_type.model_class()
    return str(model._meta.verbose_name) if model else entry.kind


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str
    added: list[str]
    removed: list[str]


def changes_of(entry: AuditEntry) -> list[Change]:
    """One row per changed field: its name as the model calls it, before and after as text; a
    membership (lists) also says who joined and who left."""
    model = entry.content_type.model_class()
    rows = []
    for field, values in sorted((entry.changes or {}).items()):
        before, after = (list(values) + [None, None])[:2]
        added = removed = []
        if isinstance(before, list) and isinstance(after, list):
            added = [name for name in after if name not in before]
            removed = [name for name in before if name not in after]
        rows.append(Change(field, _field_label(model, field), as_text(before), as_text(after), added, removed))
    return rows


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    if isinstance(value, (dict, list, bool, int, float)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _field_label(model, name: str) -> str:
    if model is None:
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", None) or name)
