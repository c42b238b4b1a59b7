"""Group commit: the small write transactions of a process's requests run together, in one
transaction on one thread, when the database takes one writer at a time (SQLite).

SQLite lets one connection write at a time, and a request that finds the lock taken sleeps in
its busy handler (1, 2, 5 ... 100 ms) and tries again. With a fleet's batches and status reports
arriving from a thousand boxes, py-spy found most of a web process's threads asleep there
(bench/fleet.py, 1 000 boxes): the lock was taken and given back once per request, and often
sat free while its waiters slept. Here each process's writes queue for one thread, which runs
what has queued in one transaction, each in a savepoint of its own: one lock taken for many
requests, and one request's failure rolls back only its own part. The writing threads of the
web processes also take turns on a file lock: one waiting there wakes as soon as the other is
done, where SQLite's busy handler would sleep (py-spy again: the two writing threads of two web
processes spent 70 % of their time asleep at BEGIN).

A write runs inline, in its own thread and transaction, when the setting is off (PostgreSQL,
which takes concurrent writers), inside a transaction already open (a test's, or a write that
calls another), or on the writing thread itself.
"""
from __future__ import annotations

import contextvars
import fcntl
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, transaction

T = TypeVar("T")
logger = logging.getLogger(__name__)

_Work = tuple[Callable[[], object], Future, contextvars.Context]


def write(work: Callable[[], T]) -> T:
    """`work()`'s result, its writes committed; its exception if it raised (its writes undone)."""
    if not settings.GROUPED_WRITES or connection.in_atomic_block or _writer.is_current():
        with transaction.atomic():
            return work()
    return _writer.submit(work).result()


class _Writer:
    """The process's writing thread, started at its first write (per process: a forked child
    starts its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, work: Callable[[], object]) -> Future:
        future: Future = Future()
        with self._lock:
            if self._pid != os.getpid():
                self._queue, self._pid = queue.SimpleQueue(), os.getpid()
                self._thread = threading.Thread(target=self._loop, name="grouped-writes", daemon=True)
                self._thread.start()
            # The request's context goes along: audit's "no operator" flag (audit/context.py).
            self._queue.put((work, future, contextvars.copy_context()))
        return future

    def _loop(self) -> None:
        pending = self._queue
        turns = _Turns()
        while True:
            group = [pending.get()]
            while len(group) < settings.GROUPED_WRITES_MAX:
                try:
                    group.append(pending.get_nowait())
                except queue.Empty:
                    break
            try:
                with turns.taken():
                    _run_group(group)
            except Exception as exc:  # the thread must go on: every request waits on it
                logger.exception("grouped writes failed")
                for _, future, _ in group:
                    if not future.done():
                        future.set_exception(exc)


def _run_group(group: list[_Work]) -> None:
    # As a request would: a connection an error left unusable (a database restarted) is replaced.
    close_old_connections()
    outcomes: list[tuple[Future, object, BaseException | None]] = []
    committed = threading.Event()
    try:
        with transaction.atomic():
            transaction.on_commit(committed.set)  # first of the group's callbacks
            for work, future, context in group:
                try:
                    with transaction.atomic():
                        outcomes.append((future, context.run(work), None))
                except Exception as exc:  # handed to the request that asked
                    outcomes.append((future, None, exc))
    except Exception as exc:
        if not committed.is_set():  # BEGIN or COMMIT failed (a locked database): nothing is stored
            for _, future, _ in group:
                future.set_exception(exc)
            return
        # A callback run after the commit failed; the writes are stored.
        logger.exception("a callback after a grouped commit failed")
    for future, result, exc in outcomes:
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)


class _Turns:
    """The web processes' writing threads take SQLite's write lock in turn, queued on a lock of
    the database's file (no-op on other databases)."""

    def __init__(self) -> None:
        self._fd = None
        name = connection.settings_dict["NAME"] if connection.vendor == "sqlite" else None
        if name and name != ":memory:":
            try:
                self._fd = os.open(f"{name}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                logger.exception("no lock file beside %s: the writing threads wait in SQLite's busy handler", name)

    @contextmanager
    def taken(self) -> Iterator[None]:
        if self._fd is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


_writer = _Writer()
