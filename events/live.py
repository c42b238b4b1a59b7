"""Live messages for stored events: each process gathers the batches it stored and sends them
every LIVE_EVENTS_INTERVAL seconds, one message per site, from a thread of its own.

A message per batch, made in the box's request, cost a history batch about a third of its CPU
(a query, a site look-up, serialisation and a publish: bench/box_calls.py); at a thousand boxes
that is 200 messages a second that nobody can read one by one. Gathered, the request only notes
the batch's keys, and one query, one look-up of sites and one publish per site serve all the
batches of the interval. A page hears of an event at most an interval later. With an interval
of 0 each batch is sent as its transaction commits, in the request (tests read them there).
"""
from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
from collections import defaultdict

from django.conf import settings
from django.db import close_old_connections, transaction

from cloudplatform import live
from devices.models import Box, SubDevice
from devices.selectors import sites_of_boxes

from .models import Event
from .selectors import with_cameras

LIVE_LIMIT = 20  # a batch shows its newest events live; the events page has the rest
logger = logging.getLogger(__name__)


def announce(box: Box, keys: list[str]) -> None:
    """Tell open pages of these stored events of a batch (its newest LIVE_LIMIT), once the
    current transaction commits."""
    if keys:
        transaction.on_commit(lambda: _gatherer().add(box, keys))


@functools.cache
def _live_serializer():
    """One for the process: a ModelSerializer builds its fields anew for every instance, which
    cost more than the rest of a small batch's live message (bench/box_calls.py)."""
    from .serializers import EventSerializer

    return EventSerializer()


def send_batches(batches: list[tuple[Box, list[str]]]) -> None:
    """One message per site: each batch's events (at most LIVE_LIMIT), oldest first, read in one
    query with their cameras in another."""
    boxes = {box.pk: box for box, _keys in batches}
    wanted = {(box.pk, key) for box, keys in batches for key in keys}
    found = Event.objects.filter(box_id__in=list(boxes), dedup_key__in={key for _box, key in wanted}).order_by()
    per_batch: dict[tuple[int, str], Event] = {(e.box_id, e.dedup_key): e for e in found
                                               if (e.box_id, e.dedup_key) in wanted}
    cameras = defaultdict(list)
    for row in SubDevice.objects.filter(box_id__in=list(boxes)).order_by("ep_id").values_list(
            "box_id", "ep_id", "ip", "name", "location"):
        cameras[row[0]].append(row[1:])
    sites = sites_of_boxes(boxes)
    serializer = _live_serializer()
    messages: dict[int | None, list[dict]] = defaultdict(list)
    for box, keys in batches:
        stored = [per_batch[(box.pk, key)] for key in dict.fromkeys(keys) if (box.pk, key) in per_batch]
        newest = sorted(stored, key=lambda e: (e.occurred_at, e.pk))[-LIVE_LIMIT:]
        events = with_cameras(box, cameras[box.pk], newest)
        messages[sites.get(box.pk)] += [serializer.to_representation(event) for event in events]
    for site, events in messages.items():
        if events:  # none when a batch's events were deleted meanwhile
            live.publish("events", {"events": events}, site=site)


class _Gatherer:
    """The batches stored since the last send, and the thread that sends them."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.lock = threading.Lock()
        self.batches: list[tuple[Box, list[str]]] = []
        self.thread: threading.Thread | None = None
        self.stopped = threading.Event()

    def add(self, box: Box, keys: list[str]) -> None:
        if self.interval <= 0 or self.stopped.is_set():
            self._send([(box, keys)])
            return
        with self.lock:
            self.batches.append((box, keys))
            if self.thread is None:
                self.thread = threading.Thread(target=self._forever, name="live-events", daemon=True)
                self.thread.start()
                atexit.register(self.stop)  # a restart sends what was gathered

    def flush(self) -> None:
        """Send what was gathered (the thread does so every interval)."""
        with self.lock:
            batches, self.batches = self.batches, []
        if batches:
            self._send(batches)

    def stop(self) -> None:
        """End the thread after what was gathered is sent; later batches are sent at once."""
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=10)  # a database that does not answer must not hold an exit

    def _forever(self) -> None:
        while not self.stopped.wait(self.interval):
            self._send_gathered()
        self._send_gathered()

    def _send_gathered(self) -> None:
        try:
            # As around a request: CONN_MAX_AGE and health checks hold, a pooled connection goes back.
            close_old_connections()
            self.flush()
            close_old_connections()
        except Exception:  # the database away for a moment: the thread goes on
            logger.exception("live events not sent")

    @staticmethod
    def _send(batches: list[tuple[Box, list[str]]]) -> None:
        try:
            send_batches(batches)
        except Exception:  # a live view is a convenience: never fail a box's request or this thread over it
            logger.exception("live message for %d batches not sent", len(batches))


_gatherers: dict[int, _Gatherer] = {}
_gatherers_lock = threading.Lock()


def _gatherer() -> _Gatherer:
    """This process's gatherer (a forked worker starts its own: a thread does not survive a fork)."""
    pid = os.getpid()
    with _gatherers_lock:
        if pid not in _gatherers:
            _gatherers[pid] = _Gatherer(settings.LIVE_EVENTS_INTERVAL)
        return _gatherers[pid]
