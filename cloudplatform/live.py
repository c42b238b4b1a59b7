"""Live console updates: one Channels group that every open console page listens to.

Messages are small JSON objects with a `kind` ("event", "box"); they go out after the
transaction that caused them commits, so a page never shows what was rolled back. With
REDIS_URL set the channel layer spans every web process; the in-memory default reaches
the pages connected to the same process (one web process: `make run`).
"""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

CONSOLE_GROUP = "console"
logger = logging.getLogger(__name__)


def publish(kind: str, payload: dict) -> None:
    """Send to every console page once the current transaction commits."""
    transaction.on_commit(lambda: _send({"kind": kind, **payload}))


def _send(message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(CONSOLE_GROUP, {"type": "console.update", "message": message})
    except Exception:  # a live view is a convenience: never fail a box's request over it
        logger.exception("live update not sent")
