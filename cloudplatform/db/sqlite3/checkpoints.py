"""WAL checkpoints on a thread of their own, not in a writer's COMMIT.

SQLite copies the write-ahead log back into the database file (a checkpoint) in the COMMIT that
grows the log past `wal_autocheckpoint` pages (1 000 by default): that commit writes and syncs
the file before it returns, and the writers' turn (base.py) is given back only then, so every
writer of every process waits for it. Here one thread among the processes sharing the database
(whichever holds `<database>-checkpoint.lock`) checkpoints every CHECKPOINT_EVERY seconds in
PASSIVE mode, which waits for no reader and no writer; the automatic checkpoint stays as a
backstop at a much larger log, for a moment with no such thread (a process holding the lock
exits; another takes it over within a period). Where the lock file cannot be opened (made by
another user) nothing changes: SQLite's own checkpoints at 1 000 pages, and the log says so.
"""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import urllib.parse

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1.0  # seconds
BACKSTOP_PAGES = 20_000  # wal_autocheckpoint of every connection: 80 MB of log at 4 KiB a page

_started: dict[str, int] = {}  # database path -> the pid whose thread checkpoints it (or waits to)
_stopping: dict[str, threading.Event] = {}
_held: set[int] = set()  # descriptors holding a checkpoint lock
_unusable: set[str] = set()  # lock files another user made: SQLite checkpoints as it would
_lock = threading.Lock()


def _forget_inherited() -> None:
    """A forked child has none of its parent's threads: it lets go of their locks (else the
    lock would outlive the parent's thread, with nobody checkpointing) and starts its own."""
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    for fd in _held:
        os.close(fd)
    _held.clear()
    _started.clear()
    _stopping.clear()


os.register_at_fork(after_in_child=_forget_inherited)


def start_for(path: str) -> bool:
    """Once per process and database file: the thread that checkpoints it when it holds the lock.
    False when no process can (the file is not a plain path, or its lock file cannot be opened):
    the writers' COMMIT checkpoints then, as SQLite does by default."""
    with _lock:
        if _started.get(path) == os.getpid():
            return True
        if path in _unusable or not os.path.isfile(path) or not _lock_file_opens(path):
            return False
        _started[path], _stopping[path] = os.getpid(), threading.Event()  # a forked child starts its own
        stopping = _stopping[path]
    threading.Thread(target=_checkpoint_forever, args=(path, stopping), name="wal-checkpoints", daemon=True).start()
    return True


def stop(path: str) -> None:
    """This process's thread for `path` lets go of the lock and ends (a test's database)."""
    with _lock:
        stopping = _stopping.get(path)
    if stopping is not None:
        stopping.set()


def _lock_file_opens(path: str) -> bool:
    try:
        os.close(os.open(f"{path}-checkpoint.lock", os.O_RDWR | os.O_CREAT, 0o666))
        return True
    except OSError:
        _unusable.add(path)
        logger.exception("the checkpoint lock file beside %s cannot be opened: the writers' COMMIT checkpoints "
                         "the write-ahead log instead", path)
        return False


def _checkpoint_forever(path: str, stopping: threading.Event) -> None:
    holder: int | None = None
    failing = False
    try:
        while not stopping.wait(CHECKPOINT_EVERY) and os.path.exists(path):  # removed: a test's, gone
            holder = holder if holder is not None else _take_lock(f"{path}-checkpoint.lock")
            if holder is not None:
                failing = _checkpoint_or_log(path, failing)
    finally:
        with _lock:
            if holder is not None and holder in _held:
                _held.discard(holder)
                os.close(holder)
            if _started.get(path) == os.getpid():
                del _started[path], _stopping[path]


def _checkpoint_or_log(path: str, failing: bool) -> bool:
    """Checkpoint; whether it failed. The first failure of a run of them is logged, and the recovery."""
    try:
        checkpoint(path)
    except sqlite3.Error:  # tried again next period; the automatic checkpoint bounds the log meanwhile
        if not failing and os.path.exists(path):
            logger.warning("WAL checkpoint of %s failed; trying again every %s s", path, CHECKPOINT_EVERY,
                           exc_info=True)
        return True
    if failing:
        logger.info("WAL checkpoints of %s work again", path)
    return False


def checkpoint(path: str) -> tuple[int, int, int]:
    """A PASSIVE checkpoint of `path` (never creates the file): SQLite's (busy, log pages, pages
    checkpointed)."""
    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=rw"  # a ? or # in the path is the path's
    connection = sqlite3.connect(uri, uri=True, timeout=1)
    try:
        return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        connection.close()


def _take_lock(path: str) -> int | None:
    """A descriptor holding `path`'s lock, or None: another process checkpoints."""
    with _lock:  # opened and kept under the lock: a fork in between would leave it open in the child
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        _held.add(fd)
        return fd
