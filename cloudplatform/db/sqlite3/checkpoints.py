"""WAL checkpoints on a thread of their own, not in a writer's COMMIT.

SQLite copies the write-ahead log back into the database file (a checkpoint) in the COMMIT that
grows the log past `wal_autocheckpoint` pages (1 000 by default): that commit writes and syncs
the file before it returns, and the writers' turn (base.py) is given back only then, so every
writer of every process waits for it. Here one thread among the processes sharing the database
(whichever holds `<database>-checkpoint.lock`) checkpoints every CHECKPOINT_EVERY seconds in
PASSIVE mode, which waits for no reader and no writer; the automatic checkpoint stays as a
backstop at a much larger log, for a moment with no such thread (a process holding the lock
exits; another takes it over within a period).
"""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1.0  # seconds
BACKSTOP_PAGES = 20_000  # wal_autocheckpoint of every connection: 80 MB of log at 4 KiB a page

_started: dict[str, int] = {}  # database path -> the pid whose thread checkpoints it (or waits to)
_held: set[int] = set()  # descriptors holding a checkpoint lock
_lock = threading.Lock()


def _forget_inherited() -> None:
    """A forked child has none of its parent's threads: it lets go of their locks (else the
    lock would outlive the parent's thread, with nobody checkpointing) and starts its own."""
    for fd in _held:
        os.close(fd)
    _held.clear()
    _started.clear()


os.register_at_fork(after_in_child=_forget_inherited)


def start_for(path: str) -> None:
    """Once per process and database file: the thread that checkpoints it when it holds the lock."""
    with _lock:
        if _started.get(path) == os.getpid():
            return
        _started[path] = os.getpid()  # a forked child starts its own
    threading.Thread(target=_checkpoint_forever, args=(path,), name="wal-checkpoints", daemon=True).start()


def _checkpoint_forever(path: str) -> None:
    holder: int | None = None
    try:
        while os.path.exists(path):  # a test's database, removed: the thread ends with it
            time.sleep(CHECKPOINT_EVERY)
            holder = holder if holder is not None else _take_lock(f"{path}-checkpoint.lock")
            if holder is not None:
                _checkpoint_or_log(path)
    finally:
        if holder is not None:
            _held.discard(holder)
            os.close(holder)
        with _lock:
            if _started.get(path) == os.getpid():
                del _started[path]


def _checkpoint_or_log(path: str) -> None:
    try:
        checkpoint(path)
    except sqlite3.Error:  # tried again next period; the automatic checkpoint bounds the log meanwhile
        if os.path.exists(path):  # else removed meanwhile (a test's database): the thread ends
            logger.warning("WAL checkpoint of %s failed", path, exc_info=True)


def checkpoint(path: str) -> tuple[int, int, int]:
    """A PASSIVE checkpoint of `path` (never creates the file): SQLite's (busy, log pages, pages
    checkpointed)."""
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=1)
    try:
        return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        connection.close()


def _take_lock(path: str) -> int | None:
    """A descriptor holding `path`'s lock, or None: another process checkpoints (or the lock file
    cannot be opened, made by another user: SQLite's automatic checkpoints do the work)."""
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
