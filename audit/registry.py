"""What the audit trail records: the one place to add a model (one line) or a membership.

Every model an operator edits through the console or the API is here, with the fields worth a
before/after (timestamps that change on every save are left out) and its secrets masked
(masking.py). Left out on purpose, because what writes them is a box or the platform itself,
not an operator: box status and sub-devices (status reports, device operations), events and
quarantined events (box uploads), commands, their outcomes and enrolments (queued by the
platform after an operator's change, which is recorded itself; answered by boxes), received
results, face embeddings, match verdicts (faces.feedback records the feedback itself). What an
operator does that is no field change (a wipe, a resync, feedback on an event) is recorded by
the service that does it (audit.services.record_action).
"""
from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.apps import apps

from . import memberships

MASK = {"mask_fields": [], "mask_callable": "audit.masking.mask_secret"}


def _secrets(*names: str) -> dict[str, Any]:
    return {**MASK, "mask_fields": list(names)}


# model label → django-auditlog's register() options.
AUDITED_MODELS: dict[str, dict[str, Any]] = {
    "devices.Area": {},
    # Box login, calls and status reports write last_login_*, last_seen_at, online, said_offline
    # and the token: a box's doing. The operator's fields, and the broker password (reset), masked.
    "devices.Box": {"include_fields": ["name", "dev_sno", "hex_mac", "enabled", "area", "record_upload_period",
                                       "device_monitor_period", "broker_password"], **_secrets("broker_password")},
    "users.Person": {"exclude_fields": ["created_at", "updated_at"]},
    # A person's photos: each added, made primary or removed (its quality figures are computed).
    "users.PersonPhoto": {"include_fields": ["person", "path", "sha256", "position", "is_primary", "pinned"]},
    "users.PermissionGroup": {},
    "users.FaceGroup": {},
    # Its progress counters move as the worker goes: what was imported is recorded per person.
    "users.ImportJob": {"include_fields": ["csv_path", "photos_path"]},
    "attendance.Shift": {},
    "attendance.ShiftAssignment": {},
    "attendance.Holiday": {},
    "attendance.Correction": {"exclude_fields": ["made_at"]},
    # Logging in updates last_login: not a change to the account.
    "auth.User": {"exclude_fields": ["last_login"], **_secrets("password")},
    # Django's permission groups (its admin only): an account's are among its memberships below.
    "auth.Group": {},
    # An operator's role and sites.
    "accounts.Operator": {},
    # API tokens made and revoked: whose and which, never the key's prefix or digest; its use
    # (last_used_at, written on every call) is no change.
    "accounts.ApiToken": {"include_fields": ["user", "name", "expiry"]},
}

def _own_fields(model) -> list[str]:
    """The model's own columns but its id (django-auditlog would also diff reverse relations,
    as "users.PersonPhoto.None", when a model is registered without a field list)."""
    return [field.name for field in model._meta.concrete_fields if not field.primary_key]


# Models whose entries come only from the services that act on them (record_action), not from
# their saves: an event's feedback (its box and the platform write it otherwise), a stranger
# enrolled, merged, split or dismissed (the clustering worker updates it as events arrive).
ACTION_TARGETS = ["events.Event", "faces.StrangerCluster"]

# "app.Model.field" of the many-to-many fields whose memberships are recorded (memberships.py).
AUDITED_MEMBERSHIPS = [
    "users.PermissionGroup.boxes",
    "users.PermissionGroup.areas",
    "users.Person.permission_groups",
    "users.Person.face_groups",
    "auth.User.groups",
    "accounts.Operator.sites",
]


def register_all() -> None:
    for label, options in AUDITED_MODELS.items():
        model = apps.get_model(label)
        auditlog.register(model, **{"include_fields": _own_fields(model), **options})
    for path in AUDITED_MEMBERSHIPS:
        label, field = path.rsplit(".", 1)
        memberships.track(apps.get_model(label)._meta.get_field(field))
