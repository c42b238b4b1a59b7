"""Event intake: validate a whole batch, keep pictures as files, store each event once."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from cloudplatform import live
from cloudplatform.contract import PARAM_ERROR, PAYLOAD_TOO_LARGE, ContractError
from devices.models import Box

from .models import Event

MAX_BATCH = 1000  # the contract sends at most 100; a little slack, never unbounded
KNOWN_EXT = {"device_ip", "ep_id", "spot_pic", "person_type", "device_type", "grab_fiqa_info", "box_fiqa_info",
             "dev_sno"}


@dataclass(frozen=True)
class IntakeResult:
    stored: int
    duplicates: int


def _picture(value, field: str) -> bytes | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ContractError(PARAM_ERROR, f"{field} must be base64 text.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ContractError(PARAM_ERROR, f"{field} is not valid base64.") from exc


def _number(value, field: str, kind=float):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ContractError(PARAM_ERROR, f"{field} must be a number.")
    try:
        return kind(value)
    except ValueError as exc:
        raise ContractError(PARAM_ERROR, f"{field} must be a number.") from exc


def _text(value, limit: int) -> str:
    """A text field as stored: a string, without NUL (PostgreSQL cannot hold it), cut to the column."""
    return str(value or "").replace("\x00", "")[:limit]


def parse_event(raw, position: int) -> tuple[Event, dict[str, bytes]]:
    """One reported event as an unsaved Event plus its pictures; ContractError names the bad field."""
    where = f"event {position}: "
    if not isinstance(raw, dict):
        raise ContractError(PARAM_ERROR, where + "not a JSON object.")
    ext = raw.get("ext_data")
    if not isinstance(ext, dict):
        raise ContractError(PARAM_ERROR, where + "ext_data (an object) is required.")
    try:
        timestamp = _number(raw.get("timestamp"), "timestamp", int)
        score = _number(raw.get("score"), "score")
        person_type = _number(ext.get("person_type", 1), "ext_data.person_type", int)
        device_type = ext.get("device_type")
        device_type = None if device_type in (None, "") else _number(device_type, "ext_data.device_type", int)
        pictures = {"spot_pic": _picture(ext.get("spot_pic"), "ext_data.spot_pic"),
                    "reg_pic": _picture(raw.get("reg_pic"), "reg_pic")}
        occurred = datetime.fromtimestamp(timestamp / 1000, tz=UTC)
    except ContractError as exc:
        raise ContractError(PARAM_ERROR, where + exc.message) from exc
    except (OverflowError, OSError, ValueError) as exc:
        raise ContractError(PARAM_ERROR, where + "timestamp is not a time in milliseconds.") from exc
    identity_id = _text(raw.get("identity_id"), 64)
    ep_id = _text(ext.get("ep_id"), 120)
    # Without ep_id: a stock box's realtime report lacks it, and the history report of the
    # same recognition must be recognised as the same event.
    key_source = json.dumps([timestamp, identity_id, round(score, 6)])
    event = Event(
        dedup_key=hashlib.sha256(key_source.encode()).hexdigest(),
        occurred_at=occurred, timestamp_ms=timestamp, identity_id=identity_id,
        identity_name=_text(raw.get("identity_name"), 100), group_name=_text(raw.get("group_name"), 200),
        score=score, person_type=person_type, device_type=device_type,
        device_ip=_text(ext.get("device_ip"), 64), ep_id=ep_id,
        grab_fiqa_info=ext.get("grab_fiqa_info") if isinstance(ext.get("grab_fiqa_info"), dict) else {},
        box_fiqa_info=ext.get("box_fiqa_info") if isinstance(ext.get("box_fiqa_info"), dict) else {},
        ext_data={k: v for k, v in ext.items() if k not in KNOWN_EXT},
    )
    return event, {k: v for k, v in pictures.items() if v}


def _store_picture(data: bytes, when: datetime) -> str:
    digest = hashlib.sha256(data).hexdigest()
    relative = f"events/{when:%Y/%m/%d}/{digest}.jpg"
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(target)
    return relative


def intake_events(box: Box, body, channel: str = Event.Channel.HISTORY) -> IntakeResult:
    """Store a batch (a list, or one event). All or nothing: one bad event refuses the batch."""
    batch = body if isinstance(body, list) else [body]
    if len(batch) > MAX_BATCH:
        raise ContractError(PAYLOAD_TOO_LARGE, f"At most {MAX_BATCH} events per request.", 413)
    parsed = [parse_event(raw, i) for i, raw in enumerate(batch)]
    keys = {event.dedup_key for event, _ in parsed}
    with transaction.atomic():
        known = dict(Event.objects.filter(box=box, dedup_key__in=keys).values_list("dedup_key", "channel"))
        fresh, seen, completed = [], set(), []
        for event, pictures in parsed:
            if event.dedup_key in known or event.dedup_key in seen:
                if known.get(event.dedup_key) == Event.Channel.REALTIME and channel == Event.Channel.HISTORY:
                    completed.append((event, pictures))  # the record of an event first seen live
                continue
            seen.add(event.dedup_key)
            event.box, event.channel = box, channel
            # Pictures go to files, named by content: a rolled-back batch leaves only reusable files.
            for field, data in pictures.items():
                setattr(event, field, _store_picture(data, event.occurred_at))
            fresh.append(event)
        Event.objects.bulk_create(fresh, ignore_conflicts=True)
        for event, pictures in completed:
            _complete(box, event, pictures)
    if fresh:
        # After the commit: the query and serialisation need not hold the database's write lock.
        _announce(box, [event.dedup_key for event in fresh])
    return IntakeResult(stored=len(fresh), duplicates=len(batch) - len(fresh))


def _complete(box: Box, event: Event, pictures: dict[str, bytes]) -> None:
    """Fill in what the history record adds to an event stored from its realtime report."""
    fields = {"channel": Event.Channel.HISTORY, "ep_id": event.ep_id, "device_ip": event.device_ip,
              "device_type": event.device_type, "group_name": event.group_name,
              "box_fiqa_info": event.box_fiqa_info, "grab_fiqa_info": event.grab_fiqa_info}
    for field, data in pictures.items():
        fields[field] = _store_picture(data, event.occurred_at)
    Event.objects.filter(box=box, dedup_key=event.dedup_key).update(**fields)


LIVE_LIMIT = 20  # a history batch shows its newest events live; the events page has the rest


def _announce(box: Box, keys: list[str]) -> None:
    """One live message per stored batch: its newest events, oldest first."""
    from .serializers import EventSerializer

    newest = Event.objects.filter(box=box, dedup_key__in=keys).select_related("box").order_by("-occurred_at", "-id")
    events = EventSerializer(list(reversed(newest[:LIVE_LIMIT])), many=True).data
    live.publish("events", {"events": events})


def purge_events_before(cutoff: datetime, chunk: int = 1000) -> dict:
    """Delete events older than `cutoff`, a chunk at a time, and the picture files no remaining event names."""
    deleted = removed = 0
    while True:
        rows = list(Event.objects.filter(occurred_at__lt=cutoff).values_list("id", "spot_pic", "reg_pic")[:chunk])
        if not rows:
            break
        pictures = {name for _, spot, reg in rows for name in (spot, reg) if name}
        deleted += Event.objects.filter(id__in=[row[0] for row in rows]).delete()[0]
        # Pictures are named by content: another, newer event may share one.
        still_used = set(Event.objects.filter(spot_pic__in=pictures).values_list("spot_pic", flat=True))
        still_used |= set(Event.objects.filter(reg_pic__in=pictures).values_list("reg_pic", flat=True))
        for relative in pictures - still_used:
            path = Path(settings.MEDIA_ROOT) / relative
            if path.exists():
                path.unlink()
                removed += 1
    return {"events": deleted, "pictures": removed}
