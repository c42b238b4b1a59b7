"""Django's SQLite backend, its write transactions taken in turn through a lock file.

SQLite takes one writer at a time; one that finds the lock taken sleeps in its busy handler
(1, 2, 5 ... 100 ms between tries) while others take and give back the lock many times. With
a fleet reporting, the web processes' writing threads (cloudplatform/grouped_writes.py) held it
nearly back to back and the results consumer, asleep at BEGIN, stored a distribution's
outcomes minutes late (bench/fleet.py, 1 000 boxes). Here every transaction of every process
on the database (web, Celery worker, consumers, commands) first takes a lock on
`<database>-writers.lock`, asked for every millisecond or two, so it gets its turn within one
of the others' transactions; it is let go at COMMIT or ROLLBACK. A single statement outside a
transaction (an UPDATE in autocommit) does not take it and still waits in SQLite's handler.
In-memory databases are left alone.
"""
from __future__ import annotations

import fcntl
import os
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# Between tries for the turn (seconds): short, so a turn given back is taken within its next
# few statements' time, as a blocking lock would, but with the database's timeout kept.
POLL_FIRST, POLL_MOST = 0.0005, 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    _turn_fd: int | None = None

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_turn()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._give_turn()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._give_turn()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._give_turn()

    def _turn_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}-writers.lock"

    def _take_turn(self) -> None:
        path = self._turn_path()
        if path is None or self._turn_fd is not None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        pause = POLL_FIRST
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise OperationalError("database is locked (waited for the writers' turn)") from None
                time.sleep(pause)
                pause = min(pause * 2, POLL_MOST)
        self._turn_fd = fd

    def _give_turn(self) -> None:
        fd, self._turn_fd = self._turn_fd, None
        if fd is not None:
            os.close(fd)  # closing the file lets go of its lock
