"""Group commit: the small write transactions of a process's requests run together, in one
transaction on one thread, when the database takes one writer at a time (SQLite).

SQLite lets one connection write at a time, and a request that finds the lock taken sleeps in
its busy handler (1, 2, 5 ... 100 ms) and tries again. With a fleet's batches and status reports
arriving from a thousand boxes, py-spy found most of a web process's threads asleep there
(bench/fleet.py, 1 000 boxes): the lock was taken and given back once per request, and often
sat free while its waiters slept. Here each process's writes queue for one thread, which runs
what has queued in one transaction, each in a savepoint of its own: one lock taken for many
requests, and one request's failure rolls back only its own part. The writing threads of the
processes take turns with each other and with every other transaction on a file lock
(cloudplatform/db/sqlite3): one waiting there gets the lock within a millisecond or so of its
being given back, where SQLite's busy handler would sleep (py-spy again: the two writing threads
of two web processes spent 70 % of their time asleep at BEGIN).

What a write asks to run on commit (a live message, a task's publication) is taken out of the
group's transaction and run by its own request once committed, so a slow broker delays that
request only. A write runs inline, in its own thread and transaction, when the setting is off
(PostgreSQL, which takes concurrent writers), inside a transaction already open (a test's, or a
write that calls another), or on the writing thread itself.
"""
from __future__ import annotations

import contextvars
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, transaction

T = TypeVar("T")
logger = logging.getLogger(__name__)
# Seconds this thread's requests have waited for the writing thread (Server-Timing's `write`).
_waiting = threading.local()

_Work = tuple[Callable[[], object], Future, contextvars.Context]


def write(work: Callable[[], T]) -> T:
    """`work()`'s result, its writes committed; its exception if it raised (its writes undone).
    What it asked to run on commit (transaction.on_commit) runs here, in the caller's thread,
    once the write is committed: not on the writing thread, which the next group waits for."""
    if not settings.GROUPED_WRITES or connection.in_atomic_block or _writer.is_current():
        with transaction.atomic():
            return work()
    began = time.perf_counter()
    try:
        result, callbacks = _writer.submit(work).result()
    finally:
        _waiting.seconds = getattr(_waiting, "seconds", 0.0) + time.perf_counter() - began
    for func, robust in callbacks:
        transaction.on_commit(func, robust=robust)  # outside a transaction: runs now, as Django runs them
    return result


def seconds_waited(reset: bool = False) -> float:
    """How long this thread has waited for grouped writes (since the last reset)."""
    seconds = getattr(_waiting, "seconds", 0.0)
    if reset:
        _waiting.seconds = 0.0
    return seconds


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
                # A forked child: the parent's queued writes are the parent's to answer.
                self._queue, self._pid, self._thread = queue.SimpleQueue(), os.getpid(), None
            if self._thread is None or not self._thread.is_alive():
                # A restarted thread takes over the queue: what waits there is answered.
                self._thread = threading.Thread(target=self._loop, name="grouped-writes", daemon=True)
                self._thread.start()
            # The request's context goes along: audit's "no operator" flag (audit/context.py).
            self._queue.put((work, future, contextvars.copy_context()))
        return future

    def _loop(self) -> None:
        pending = self._queue
        while True:
            group = [pending.get()]
            while len(group) < settings.GROUPED_WRITES_MAX:
                try:
                    group.append(pending.get_nowait())
                except queue.Empty:
                    break
            try:
                _run_group(group)
            except BaseException as exc:  # the thread must go on: every request waits on it
                logger.exception("grouped writes failed")
                for _, future, _ in group:
                    if not future.done():
                        future.set_exception(exc)


def _run_group(group: list[_Work]) -> None:
    # As a request would: a connection an error left unusable (a database restarted) is replaced.
    close_old_connections()
    outcomes: list[tuple[Future, object, BaseException | None]] = []
    committed = threading.Event()
    failure: BaseException | None = None
    try:
        with transaction.atomic():
            transaction.on_commit(committed.set)  # the only callback left to the commit
            outcomes = [(future, *_run_one(work, context)) for work, future, context in group]
    except Exception as exc:  # BEGIN or COMMIT failed (a locked database): nothing is stored
        failure = exc
    if failure is None and not committed.is_set():
        # Django rolls back without raising when an error left the transaction unusable.
        failure = RuntimeError("the grouped transaction was rolled back")
    if failure is not None:
        for _, future, _ in group:
            future.set_exception(failure)
        return
    for future, result, exc in outcomes:
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)


def _run_one(work: Callable[[], object], context: contextvars.Context) -> tuple[tuple | None, BaseException | None]:
    """One request's work in a savepoint of the group's transaction: its result and the
    on-commit callbacks it registered (taken out of the group's, for its caller), or its error."""
    hooks = connection.run_on_commit
    mark = len(hooks)
    try:
        with transaction.atomic():
            result = context.run(work)
    except Exception as exc:  # handed to the request that asked (its savepoint undone)
        return None, exc
    callbacks = [(func, robust) for _, func, robust in hooks[mark:]]
    del hooks[mark:]
    return (result, callbacks), None


_writer = _Writer()
