"""Changes recorded on another object than the one saved: an API token is its account's
(the token's key is its primary key and its text, so the token itself is never an entry)."""
from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from .services import record_action


def _token_saved(sender, instance, created: bool, **kwargs) -> None:
    if created:
        record_action(instance.user, "api_token_created")


def _token_deleted(sender, instance, **kwargs) -> None:
    record_action(instance.user, "api_token_revoked")


def connect() -> None:
    if apps.is_installed("rest_framework.authtoken"):
        token = apps.get_model("authtoken", "Token")
        post_save.connect(_token_saved, sender=token, dispatch_uid="audit-token-created")
        post_delete.connect(_token_deleted, sender=token, dispatch_uid="audit-token-revoked")
