"""Event intake: each event judged on its own, pictures decoded one at a time to files, each
event stored once; what cannot be stored is kept raw in a quarantine and named in the answer."""
from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import serializers

from cloudplatform import grouped_writes
from cloudplatform.contract import PAYLOAD_TOO_LARGE, ContractError
from cloudplatform.db.batches import delete_in_batches
from cloudplatform.db.prepared import PreparedInsert
from devices.models import Box

from .bodies import FormEvent, preview, raw_json
from .box_serializers import refusal_reason, validated_record
from .live import LIVE_LIMIT, announce
from .models import Event, QuarantinedEvent
from .pictures import PictureRefused, store_picture
from .signals import events_stored

MAX_BATCH = 1000  # the contract sends at most 100; a little slack, never unbounded


class EventRefused(ValueError):
    """This event cannot be stored; the message says why (quarantine reason)."""


@dataclass
class IntakeResult:
    stored: int = 0
    duplicates: int = 0
    quarantined: list[dict] = field(default_factory=list)  # {"index", "reason"}
    flagged: list[dict] = field(default_factory=list)  # {"index", "field", "reason"}: picture not kept

    def body(self) -> dict:
        return {"data": {"stored": self.stored, "duplicates": self.duplicates, "quarantined": self.quarantined,
                         "flagged": self.flagged}}


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (int | float, "a number"), (str, "a string"), (list, "an array")):
        if isinstance(value, kind):
            return name
    return "something else"


def clean_json(value: Any) -> Any:
    """A JSON value PostgreSQL can store: no NUL in strings or keys, no NaN or infinity."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {str(key).replace("\x00", ""): clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def parse_event(raw) -> tuple[Event, dict[str, Any]]:
    """One reported event as an unsaved Event plus its pictures (as sent); EventRefused says why not."""
    if isinstance(raw, FormEvent):
        raise EventRefused(raw.problem)
    if not isinstance(raw, dict):
        raise EventRefused(f"not a JSON object but {_json_kind(raw)}.")
    try:
        record = validated_record(raw)
    except serializers.ValidationError as exc:
        raise EventRefused(refusal_reason(exc.detail)) from exc
    return event_of(record)


def dedup_key(timestamp_ms: int, identity_id: str, score: float) -> str:
    """What makes two reports the same event (one stored per box). Without ep_id: a stock box's
    realtime report lacks it, and the history report of the same recognition must be recognised
    as the same event."""
    return hashlib.sha256(json.dumps([timestamp_ms, identity_id, round(score, 6)]).encode()).hexdigest()


def event_of(record: dict) -> tuple[Event, dict[str, Any]]:
    """A validated passage record (events.box_serializers.PassageRecordSerializer) as an unsaved
    Event plus its pictures as sent."""
    ext = record["ext_data"]
    milliseconds, score = record["timestamp_ms"], float(record["score"])
    event = Event(
        dedup_key=dedup_key(milliseconds, record["identity_id"], score),
        occurred_at=record["occurred_at"], timestamp_ms=milliseconds, identity_id=record["identity_id"],
        identity_name=record["identity_name"], group_name=record["group_name"],
        score=score, person_type=ext["person_type"], device_type=ext["device_type"],
        device_ip=ext["device_ip"], ep_id=ext["ep_id"],
        grab_fiqa_info=clean_json(ext["grab_fiqa_info"]), box_fiqa_info=clean_json(ext["box_fiqa_info"]),
        ext_data=clean_json(ext["extra"]),
    )
    pictures = {"spot_pic": ext.get("spot_pic"), "reg_pic": record.get("reg_pic")}
    return event, {k: v for k, v in pictures.items() if v not in (None, "")}


PICTURE_WIRE_NAMES = {"spot_pic": "ext_data.spot_pic", "reg_pic": "reg_pic"}


class _Batch:
    """One request's events, taken one at a time; stored together by `commit()`."""

    def __init__(self, box: Box, channel: str) -> None:
        self.box, self.channel = box, channel
        self.result = IntakeResult()
        self.pending: list[Event] = []
        self.pending_keys: set[str] = set()

    def take(self, index: int, raw) -> None:
        if index >= MAX_BATCH:
            raise ContractError(PAYLOAD_TOO_LARGE,
                                gettext("At most %(count)d events per request.") % {"count": MAX_BATCH}, 413)
        try:
            event, pictures = parse_event(raw)
        except EventRefused as exc:
            self._quarantine(index, raw, str(exc))
            return
        if pictures and event.dedup_key not in self.pending_keys:
            # Re-sends are decoded too (they are rare: a box re-sends only an unanswered batch);
            # a lookup per event to skip them would cost every batch more than they do.
            self._keep_pictures(index, event, pictures)
        self.pending_keys.add(event.dedup_key)
        self.pending.append(event)

    def _keep_pictures(self, index: int, event: Event, pictures: dict[str, Any]) -> None:
        for name, value in pictures.items():
            try:
                setattr(event, name, store_picture(value, event.occurred_at))
            except PictureRefused as exc:
                event.picture_problems[name] = str(exc)
                self.result.flagged.append({"index": index, "field": PICTURE_WIRE_NAMES[name], "reason": str(exc)})

    def _quarantine(self, index: int, raw, reason: str) -> None:
        text = raw_json(raw)
        digest = hashlib.sha256(text.encode()).hexdigest()
        kept, created = QuarantinedEvent.objects.get_or_create(
            box=self.box, digest=digest,
            defaults={"channel": self.channel, "position": index, "reason": reason[:500], "raw": text,
                      "raw_size": len(text), "preview": preview(raw)})
        if not created:
            QuarantinedEvent.objects.filter(pk=kept.pk).update(times_received=F("times_received") + 1,
                                                              last_received_at=timezone.now())
        self.result.quarantined.append({"index": index, "reason": reason})

    def commit(self) -> IntakeResult:
        candidates = self._candidates()
        insert = PreparedInsert(candidates, returning=("dedup_key", "id"))  # built here, not in the writers' turn
        fresh = grouped_writes.write(lambda: self._store(candidates, insert))
        # After the commit, gathered with other batches (events/live.py): the query and
        # serialisation neither hold the database's write lock nor the box's answer.
        newest = sorted(fresh, key=lambda event: (event.occurred_at, event.dedup_key))[-LIVE_LIMIT:]
        announce(self.box, [event.dedup_key for event in newest])
        self.result.stored = len(fresh)
        self.result.duplicates = len(self.pending) - len(fresh)
        return self.result

    def _candidates(self) -> list[Event]:
        """The batch's events, each key once (a batch may repeat an event: the first is kept)."""
        candidates, seen = [], set()
        for event in self.pending:
            event.box, event.channel = self.box, self.channel
            if event.dedup_key not in seen:
                seen.add(event.dedup_key)
                candidates.append(event)
        return candidates

    def _store(self, candidates: list[Event], insert: PreparedInsert) -> list[Event]:
        """Insert the batch's new events and complete those first seen live; the events inserted.
        The insert skips what is stored already (a re-send, or an event whose realtime report
        came first, even from another web process a moment ago) and names what it inserted."""
        inserted = dict(insert.run())
        fresh = [event for event in candidates if event.dedup_key in inserted]
        for event in fresh:
            event.pk = inserted[event.dedup_key]
            event._state.adding, event._state.db = False, connection.alias
        completed = self._completions([event for event in candidates if event.dedup_key not in inserted])
        for event in completed:
            _complete(self.box, event)
        if fresh or completed:
            events_stored.send(Event, box=self.box, events=fresh + completed)
        return fresh

    def _completions(self, skipped: list[Event]) -> list[Event]:
        """Of the events the insert skipped, the history records of events stored from their
        realtime report (they complete them, with its id); the rest are re-sends (or were deleted
        meanwhile: retention) and are left alone."""
        if not skipped or self.channel != Event.Channel.HISTORY:
            return []
        live = dict(Event.objects.filter(box=self.box, dedup_key__in={event.dedup_key for event in skipped},
                                         channel=Event.Channel.REALTIME).order_by().values_list("dedup_key", "id"))
        completed = [event for event in skipped if event.dedup_key in live]
        for event in completed:
            event.pk = live[event.dedup_key]
        return completed


def intake_stream(box: Box, events: Iterable, channel: str = Event.Channel.HISTORY) -> IntakeResult:
    """Judge and store events as they are read: good ones stored (once), bad ones quarantined,
    pictures that are not images flagged. Only one event's pictures are in memory at a time."""
    batch = _Batch(box, channel)
    for index, raw in enumerate(events):
        batch.take(index, raw)
        del raw  # the next event is parsed without this one's pictures still held
    return batch.commit()


def intake_events(box: Box, body, channel: str = Event.Channel.HISTORY) -> IntakeResult:
    """A parsed body (a list of events, or one event)."""
    return intake_stream(box, body if isinstance(body, list) else [body], channel)


def _complete(box: Box, event: Event) -> None:
    """Fill in what the history record adds to an event stored from its realtime report."""
    fields = {"channel": Event.Channel.HISTORY, "ep_id": event.ep_id, "device_ip": event.device_ip,
              "device_type": event.device_type, "group_name": event.group_name,
              "box_fiqa_info": event.box_fiqa_info, "grab_fiqa_info": event.grab_fiqa_info}
    fields.update({name: getattr(event, name) for name in ("spot_pic", "reg_pic") if getattr(event, name)})
    if event.picture_problems:
        fields["picture_problems"] = event.picture_problems
    Event.objects.filter(box=box, dedup_key=event.dedup_key).update(**fields)


def purge_events_before(cutoff: datetime, batch: int | None = None,
                        on_batch: Callable[[int, float], None] | None = None) -> dict:
    """Delete events older than `cutoff` (and what hangs on them) `batch` events at a time
    (EVENT_RETENTION_BATCH), each batch its own short transaction: the oldest events found
    through the index on occurred_at, deleted by primary key, so no transaction holds locks
    for long or scans the table, and intake goes on meanwhile. Then the picture files no
    remaining event names. `on_batch(deleted, seconds)` hears of each batch's transaction."""
    batch = batch or settings.EVENT_RETENTION_BATCH
    old = Event.objects.filter(occurred_at__lt=cutoff).order_by("occurred_at", "id")
    deleted = removed = 0
    while True:
        rows = list(old.values_list("id", "spot_pic", "reg_pic")[:batch])  # read outside the transaction
        if not rows:
            break
        began = time.perf_counter()
        with transaction.atomic():
            # only("id"): the cascade needs the ids, not every column of every event.
            doomed = Event.objects.filter(id__in=[row[0] for row in rows], occurred_at__lt=cutoff).only("id")
            count = doomed.delete()[1].get(Event._meta.label, 0)
        if on_batch is not None:
            on_batch(count, time.perf_counter() - began)
        deleted += count
        removed += _remove_unused_pictures({name for _, spot, reg in rows for name in (spot, reg) if name})
    stale = QuarantinedEvent.objects.filter(last_received_at__lt=cutoff).values_list("id", flat=True)
    quarantined = delete_in_batches(stale, batch)
    return {"events": deleted, "pictures": removed, "quarantined": quarantined}


def _remove_unused_pictures(pictures: set[str]) -> int:
    """Delete the picture files no event names any more (pictures are named by their content:
    another, newer event may share one); the number removed."""
    removed = 0
    for relative in pictures - _pictures_in_use(pictures):
        path = Path(settings.MEDIA_ROOT) / relative
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def _pictures_in_use(pictures: set[str]) -> set[str]:
    """Those of `pictures` some event still names: one query, each name answered by the partial
    picture indexes' first match (a person's registration photo may be in millions of events)."""
    names = sorted(pictures)
    used: set[str] = set()
    table = connection.ops.quote_name(Event._meta.db_table)
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        values = ", ".join(["(%s)"] * len(chunk))
        with connection.cursor() as cursor:
            # VALUES names its column column1 in both PostgreSQL and SQLite.
            cursor.execute(
                f"select v.column1 from (values {values}) as v where exists (select 1 from {table} e "
                f"where e.spot_pic = v.column1 and e.spot_pic <> '') or exists (select 1 from {table} e "
                f"where e.reg_pic = v.column1 and e.reg_pic <> '')", chunk)
            used.update(row[0] for row in cursor.fetchall())
    return used


@dataclass(frozen=True)
class Label:
    """Whom an event shows: the contract's identity_id, identity_name and person_type."""

    identity_id: str
    identity_name: str
    person_type: int


def relabel_events(events: Iterable[Event], label: Label, reason: str, by=None) -> int:
    """Make `events` show `label`, keeping what each showed before in a Relabel row (the first
    of an event's rows holds what its box said). Events already showing it are left alone;
    how many changed. The one way events are relabelled (strangers enrolled, wrong-match feedback)."""
    from .models import Relabel

    with transaction.atomic():
        changing = [event for event in Event.objects.select_for_update().filter(pk__in=[e.pk for e in events])
                    if (event.identity_id, event.identity_name, event.person_type)
                    != (label.identity_id, label.identity_name, label.person_type)]
        Relabel.objects.bulk_create(
            Relabel(event=event, reason=reason, by=by, from_identity_id=event.identity_id,
                    from_identity_name=event.identity_name, from_person_type=event.person_type,
                    to_identity_id=label.identity_id, to_identity_name=label.identity_name,
                    to_person_type=label.person_type)
            for event in changing)
        Event.objects.filter(pk__in=[event.pk for event in changing]).update(
            identity_id=label.identity_id, identity_name=label.identity_name, person_type=label.person_type)
    return len(changing)
