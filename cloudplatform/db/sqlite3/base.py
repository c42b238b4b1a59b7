"""Django's SQLite backend, its writes taken in turn through lock files beside the database.

SQLite takes one writer at a time; one that finds the lock taken sleeps in its busy handler
(1, 2, 5 ... 100 ms between tries) while others take and give back the lock many times. With
a fleet reporting, the web processes' writing threads (cloudplatform/grouped_writes.py) held it
nearly back to back and the results consumer, asleep at BEGIN, stored a distribution's
outcomes late (py-spy, bench/fleet.py at 1 000 boxes). Here every process's transactions (web,
Celery worker, consumers, commands), and its writing statements outside one, first take a lock
on `<database>-writers.lock`, given back at COMMIT or ROLLBACK (after the statement). To ask for
it one first holds `<database>-writers.line`, let go once the turn is taken: a writer coming
back for another turn queues behind the one already waiting, so turns alternate instead of
going back to the last holder. Both are asked for every millisecond or so (a blocking lock has
no timeout) until the database's `timeout`, then it is SQLite's "database is locked" error.
In-memory databases are left alone.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import time
import weakref

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from . import checkpoints

logger = logging.getLogger(__name__)

# Between tries for a lock (seconds): short, so a turn given back is taken within a
# millisecond or two, as a blocking lock would, with the database's timeout kept.
POLL_FIRST, POLL_MOST = 0.0002, 0.001
WRITING_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)

# Connections holding a turn: a forked child lets go of what it inherited (the parent's).
_holding: weakref.WeakSet = weakref.WeakSet()
_unusable_paths: set[str] = set()


def _forget_inherited_turns() -> None:
    for wrapper in list(_holding):
        wrapper._give_turn()


os.register_at_fork(after_in_child=_forget_inherited_turns)


class TurnTakingCursor(base.SQLiteCursorWrapper):
    """A writing statement outside a transaction (an UPDATE in autocommit) takes the turn too."""

    wrapper: DatabaseWrapper

    def execute(self, query, params=None):
        return self._in_turn(query, super().execute, query, params)

    def executemany(self, query, param_list):
        return self._in_turn(query, super().executemany, query, param_list)

    def _in_turn(self, query: str, run, *args):
        if self.wrapper._turn_fd is not None or not WRITING_STATEMENT.match(query):
            return run(*args)
        self.wrapper._take_turn()
        try:
            return run(*args)
        finally:
            if not self.wrapper.in_atomic_block:
                self.wrapper._give_turn()


class DatabaseWrapper(base.DatabaseWrapper):
    _turn_fd: int | None = None

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db() and checkpoints.start_for(str(self.settings_dict["NAME"])):
            # Checkpoints on their own thread (checkpoints.py); the automatic one as a backstop.
            connection.execute(f"PRAGMA wal_autocheckpoint={checkpoints.BACKSTOP_PAGES}")
        return connection

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=TurnTakingCursor)
        cursor.wrapper = self
        return cursor

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

    def _take_turn(self) -> None:
        name = str(self.settings_dict["NAME"])
        if self._turn_fd is not None or self.is_in_memory_db() or not name or name in _unusable_paths:
            return
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        try:
            line = _locked(f"{name}-writers.line", deadline)
            try:
                self._turn_fd = _locked(f"{name}-writers.lock", deadline)
            finally:
                os.close(line)
        except PermissionError:
            # Made by another user (a deploy step as root): SQLite's own waiting, as before.
            _unusable_paths.add(name)
            logger.exception("the writers' lock files beside %s cannot be opened: writers wait in SQLite's "
                             "busy handler instead", name)
            return
        _holding.add(self)

    def _give_turn(self) -> None:
        fd, self._turn_fd = self._turn_fd, None
        _holding.discard(self)
        if fd is not None:
            os.close(fd)  # closing the file lets go of its lock


def _locked(path: str, deadline: float) -> int:
    """A descriptor of `path` holding its exclusive lock, asked for until `deadline`."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # the umask decides, as for the database
    try:
        pause = POLL_FIRST
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked (waited for the writers' turn)") from None
                time.sleep(pause)
                pause = min(pause * 2, POLL_MOST)
    except BaseException:
        os.close(fd)
        raise
