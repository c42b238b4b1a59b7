"""Who is calling a /box/ endpoint (CONTRACT.md §6a).

A box proves itself with `dev_sno` and its current `token`, or, on the URLs of one
command (`path`, `notify_path`), with `dev_sno` and that command's `message_id`,
which only the box received; those survive the box logging in again.
"""
import uuid
from datetime import timedelta

from django.utils import timezone
from rest_framework.request import Request

from cloudplatform.contract import BAD_REQUEST, PARAM_ERROR, ContractError

from .models import Box
from .services import mark_seen

SEEN_RESOLUTION = timedelta(seconds=10)


def authenticate_box(request: Request) -> Box:
    dev_sno = request.query_params.get("dev_sno", "")
    token = request.query_params.get("token", "")
    message_id = request.query_params.get("message_id", "")
    if not dev_sno or not (token or message_id):
        raise ContractError(PARAM_ERROR, "dev_sno and token query parameters are required.", 401)
    box = Box.objects.filter(dev_sno=dev_sno, enabled=True).first()
    if box is None or not (
        (token and box.token_matches(token)) or (message_id and _issued(box, message_id))
    ):
        raise ContractError(BAD_REQUEST, "Invalid dev_sno or token; log in again.", 401)
    _touch(box)
    return box


def _issued(box: Box, message_id: str) -> bool:
    try:
        uuid.UUID(message_id)
    except ValueError:
        return False
    return box.commands.filter(message_id=message_id).exists()


def _touch(box: Box) -> None:
    """Record that the box is alive, at most once every few seconds (no write per request)."""
    now = timezone.now()
    if not box.online or box.last_seen_at is None or now - box.last_seen_at > SEEN_RESOLUTION:
        mark_seen(box, now)
