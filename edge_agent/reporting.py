"""Sending events on: history batches by cursor, and realtime events fire and forget (CONTRACT.md §6).

History: every `recordUploadPeriod` (login; default 5 s), or a local HistoryEventUrl's
own `reported_peroid`, each target gets its next batch of at most 100 stored events;
its cursor moves only on a 2xx answer. A failing target waits with exponential
back-off (capped at a minute) and is retried from where it stopped, across restarts,
since the cursors live in the event store.

Realtime: a bounded queue and one sender thread; each URL gets 0.5 s. When the queue is
full the newest realtime copy is dropped: the event is already stored and its history
record will follow, so recognition never waits for a listener.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from . import backoff
from .events import EventStore, StoredEvent
from .platform import Session, resilient_session
from .store import Store

logger = logging.getLogger("edge_agent.reporting")

REALTIME_TIMEOUT = 0.5
REALTIME_QUEUE = 1000


def cursor_key(url: str) -> str:
    """A target's name for its cursor: the URL without the token, which changes at each login."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("token",)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class HistoryTarget:
    def __init__(self, url: str, with_reg_pic: bool = True, period: float | None = None) -> None:
        """`period`: this target's own upload period (HistoryEventUrl's reported_peroid); None: the login's."""
        self.url = url
        self.key = cursor_key(url)
        self.with_reg_pic = with_reg_pic
        self.period = period


class HistoryUploader:
    def __init__(self, events: EventStore, targets, period, stopping: threading.Event,
                 timeout: float = 15.0) -> None:
        """`targets()` and `period()` are read at every round: a re-login or a local setting changes them."""
        self.events = events
        self.targets = targets
        self.period = period
        self.stopping = stopping
        self.timeout = timeout
        # No 503 re-sends here: the uploader backs off itself and re-reads its batch from the
        # store each time, so a wipe_data{events} in between is honoured (a re-send would upload
        # the batch read before the wipe).
        self.session = resilient_session(retry_busy=False)
        self.failures: dict[str, int] = {}
        self.retry_at: dict[str, float] = {}
        self.last_error = ""
        self.sent = 0

    def run(self) -> None:
        next_at: dict[str, float] = {}  # per target: a target appearing (a login) is served at once
        while not self.stopping.wait(0.2):
            for target in self.targets():
                now = time.monotonic()
                if now < next_at.get(target.key, 0.0):
                    continue
                next_at[target.key] = now + max(float(target.period or self.period()), 1.0)
                self.upload(target)

    def upload(self, target: HistoryTarget) -> int:
        """Send everything pending to one target, batch by batch; the number sent."""
        if time.monotonic() < self.retry_at.get(target.key, 0.0):
            return 0
        sent = 0
        while not self.stopping.is_set():
            batch = self.events.pending(target.key)
            if not batch:
                break
            if not self._post(target, batch):
                break
            self.events.advance(target.key, batch[-1].id)
            sent += len(batch)
        self.sent += sent
        return sent

    def _post(self, target: HistoryTarget, batch: list[StoredEvent]) -> bool:
        try:
            response = self.session.post(target.url, json=[e.wire(target.with_reg_pic) for e in batch],
                                         timeout=self.timeout)
            ok = 200 <= response.status_code < 300
            error = "" if ok else f"HTTP {response.status_code}: {response.text[:200]}"
        except requests.RequestException as exc:
            ok, error = False, str(exc)
        if ok:
            self.failures.pop(target.key, None)
            self.retry_at.pop(target.key, None)
            return True
        failures = self.failures.get(target.key, 0) + 1
        self.failures[target.key] = failures
        self.retry_at[target.key] = time.monotonic() + backoff.HISTORY.delay(failures)
        self.last_error = f"{target.key}: {error}"
        logger.warning("history upload to %s failed (%s); %d events wait", target.key, error,
                       self.events.backlog(target.key))
        return False


class RealtimeSender:
    def __init__(self, targets, stopping: threading.Event) -> None:
        """`targets(matched)` lists (url, with_reg_pic) pairs for an event."""
        self.targets = targets
        self.stopping = stopping
        self.queue: queue.Queue = queue.Queue(REALTIME_QUEUE)
        self.session = requests.Session()
        self.dropped = 0
        self.sent = 0

    def offer(self, event: dict, spot_pic: bytes | None, reg_pic: bytes | None, matched: bool) -> None:
        try:
            self.queue.put_nowait((event, spot_pic, reg_pic, matched))
        except queue.Full:
            self.dropped += 1

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                event, spot_pic, reg_pic, matched = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            stored = StoredEvent(0, event, spot_pic, reg_pic)
            for url, with_reg_pic in self.targets(matched):
                try:
                    self.session.post(url, json=stored.wire(with_reg_pic), timeout=REALTIME_TIMEOUT)
                    self.sent += 1
                except requests.RequestException as exc:
                    logger.debug("realtime event to %s not delivered: %s", url, exc)


class Targets:
    """Where events and status reports go now: the login's addresses and the local settings
    (part 2 §4.4–4.5), read at each use since a re-login or a local setting changes them."""

    def __init__(self, session: Callable[[], Session | None], settings: Store) -> None:
        self.session = session
        self.settings = settings

    def history(self) -> list[HistoryTarget]:
        """Every recordAddr URL of the login, and every locally set HistoryEventUrl."""
        targets = []
        session = self.session()
        if session is not None:
            for address in str(session.reply.get("recordAddr") or "").split(","):
                if address.strip():
                    targets.append(HistoryTarget(session.platform_url(address.strip())))
        local = self.settings.get("history_server") or {}
        for url in local.get("history_upload_event_url", []):
            targets.append(HistoryTarget(url, bool(local.get("history_need_reg_pic", True)),
                                         local.get("reported_peroid")))
        return targets

    def upload_period(self) -> float:
        session = self.session()
        return float((session.reply.get("recordUploadPeriod") if session else None) or 5)

    def realtime(self, matched: bool) -> list[tuple[str, bool]]:
        """EventServerUrl gets matches (upstream: scores above the threshold); realtimeAddr gets every event."""
        targets = []
        local = self.settings.get("event_server") or {}
        if matched:
            targets += [(url, bool(local.get("real_need_reg_pic", True))) for url in local.get("event_server_url", [])]
        session = self.session()
        if session is not None and session.reply.get("realtimeAddr"):
            targets.append((session.platform_url(session.reply["realtimeAddr"]), True))
        return targets

    def status(self) -> list[tuple[str, str, int]]:
        """(name, url, period in seconds) of every status target now configured."""
        targets = []
        session = self.session()
        if session is not None and session.reply.get("deviceMonitorAddr"):
            targets.append(("platform", session.platform_url(session.reply["deviceMonitorAddr"]),
                            int(session.reply.get("deviceMonitorPeriod") or 20)))
        local = self.settings.get("monitor_server")
        if local and local.get("monitor_server_url"):
            targets.append(("local:" + local["monitor_server_url"], local["monitor_server_url"],
                            int(local.get("reported_peroid") or 20)))
        return targets
