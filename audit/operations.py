"""The operations the audit trail names beyond "created, updated, deleted": their keys (stored)
and labels (shown), and those read off a change itself (an account's password changed)."""
from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils.translation import gettext_lazy as _

# Operation keys (stored) and their labels (shown). An app adds its own here, one line each.
OPERATIONS = {
    "box_disabled": _("Box disabled"),
    "box_enabled": _("Box enabled"),
    "binding_released": _("MAC binding released"),
    "credentials_rotated": _("Credentials reset"),
    "wipe_and_resend": _("Wipe and send again"),
    "wipe_and_detach": _("Wipe and detach all groups"),
    "resync": _("Full resync"),
    "send_missing": _("Missing people sent"),
    "person_sent": _("Sent to boxes"),
    "photo_check": _("Photo sent for a quality check"),
    "account_disabled": _("Account disabled"),
    "account_enabled": _("Account enabled"),
    "password_changed": _("Password changed"),
    "event_feedback": _("Event feedback"),
    "photo_changed": _("Face photo changed"),
    "stranger_enrolled": _("Stranger enrolled"),
    "strangers_merged": _("Strangers merged"),
    "stranger_split": _("Stranger split"),
    "stranger_dismissed": _("Stranger dismissed"),
}


def _account_operation(changes: dict) -> str:
    if "password" in changes:
        return "password_changed"
    if "is_active" in changes:
        return "account_enabled" if changes["is_active"][1] else "account_disabled"
    return ""


# model label → what an update of it did, read from its changes ("" for a plain update).
FROM_CHANGES: dict[str, Callable[[dict], str]] = {
    "auth.User": _account_operation,
}


def operation_of(instance: models.Model, changes: dict | None) -> str:
    """What an update of `instance` with `changes` did, when its model says (FROM_CHANGES)."""
    read = FROM_CHANGES.get(instance._meta.label)
    return read(changes) if read and changes else ""
