"""SQLite's writes taken in turn through lock files beside the database
(cloudplatform/db/sqlite3): every process's, so none waits asleep in SQLite's busy handler
while the others take the lock back to back. The process holding the turn here never touches
the database itself: without the turns, nothing would wait for it."""
import fcntl
import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from cloudplatform.db.sqlite3 import checkpoints

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend's")

HOLD_TURN = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """A database file of its own (the tests' database is in memory), as alias "turns"."""
    alias, path = "turns", tmp_path / "turns.sqlite3"
    connections.settings[alias] = {**connections.settings["default"], "NAME": str(path),
                                   "OPTIONS": {**connections.settings["default"]["OPTIONS"], "timeout": 2}}
    with django_db_blocker.unblock():
        with transaction.atomic(using=alias):
            connections[alias].cursor().execute("CREATE TABLE passage (n integer)")
        yield alias, path
        connections[alias].close()
    checkpoints.stop(str(path))
    del connections[alias]
    del connections.settings[alias]


def another_process_holds_the_turn(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_TURN, f"{path}-writers.lock", str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def turn_is_free(path) -> bool:
    fd = os.open(f"{path}-writers.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_transaction_waits_for_another_process_to_give_the_turn_back(file_database):
    alias, path = file_database
    holder = another_process_holds_the_turn(path, 0.6)
    asked = time.monotonic()
    with transaction.atomic(using=alias):
        waited = time.monotonic() - asked
        connections[alias].cursor().execute("INSERT INTO passage VALUES (1)")
    holder.wait(5)
    assert waited > 0.4


def test_a_writing_statement_outside_a_transaction_takes_the_turn_too(file_database):
    alias, path = file_database
    reading = connections[alias].cursor()
    holder = another_process_holds_the_turn(path, 4)  # the database's timeout is 2 s here
    assert reading.execute("SELECT count(*) FROM passage").fetchone() == (0,)  # reading waits for nothing
    with pytest.raises(OperationalError, match="writers' turn"):
        connections[alias].cursor().execute("INSERT INTO passage VALUES (1)")
    holder.wait(10)
    connections[alias].cursor().execute("UPDATE passage SET n = 2")
    assert turn_is_free(path)


def test_a_writer_coming_back_for_its_turn_queues_behind_the_one_waiting(file_database):
    """Turns alternate: a thread writing back to back does not keep the turn from another."""
    alias, path = file_database
    started, written = threading.Event(), []

    def back_to_back():
        for i in range(30):
            with transaction.atomic(using=alias):
                connections[alias].cursor().execute("INSERT INTO passage VALUES (%s)", [i])
                written.append("busy")
                started.set()
                time.sleep(0.01)
        connections[alias].close()

    busy = threading.Thread(target=back_to_back)
    busy.start()
    started.wait(5)
    with transaction.atomic(using=alias):
        written.append("waiting one")
    busy.join(10)
    assert written.index("waiting one") <= 3, written


def test_the_turn_is_held_until_commit_and_given_back_after_a_rollback(file_database):
    alias, path = file_database
    with transaction.atomic(using=alias):
        connections[alias].cursor().execute("INSERT INTO passage VALUES (1)")
        assert not turn_is_free(path)
    assert turn_is_free(path)
    with pytest.raises(ValueError), transaction.atomic(using=alias):
        connections[alias].cursor().execute("INSERT INTO passage VALUES (2)")
        raise ValueError("undone")
    assert turn_is_free(path)
    assert connections[alias].cursor().execute("SELECT n FROM passage").fetchall() == [(1,)]


def test_a_turn_not_given_back_in_time_is_the_database_locked_error(file_database):
    alias, path = file_database
    holder = another_process_holds_the_turn(path, 4)  # the database's timeout is 2 s here
    with pytest.raises(OperationalError, match="locked"), transaction.atomic(using=alias):
        pass
    holder.wait(10)
    with transaction.atomic(using=alias):
        connections[alias].cursor().execute("INSERT INTO passage VALUES (3)")


def test_a_commit_leaves_the_wal_checkpoint_to_a_thread_of_its_own(file_database):
    """SQLite would copy the log back into the database file in the COMMIT that grows it past
    1 000 pages, holding the writers' turn meanwhile; here the commit returns with the file
    untouched, and the one thread that holds the checkpoint lock (here the test, during the
    commit: no process checkpoints then) copies the log within a period or two of getting it."""
    alias, path = file_database
    lock = os.open(f"{path}-checkpoint.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # before the thread's first period ends
    try:
        with transaction.atomic(using=alias):
            cursor = connections[alias].cursor()
            cursor.execute("CREATE TABLE picture (data blob)")
            cursor.executemany("INSERT INTO picture VALUES (%s)", [(os.urandom(4096),) for _ in range(2000)])
        time.sleep(2 * checkpoints.CHECKPOINT_EVERY)
        assert os.path.getsize(path) < 1_000_000  # 8 MB committed to the log only
    finally:
        os.close(lock)
    deadline = time.monotonic() + 10 * checkpoints.CHECKPOINT_EVERY
    while os.path.getsize(path) < 8_000_000 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert os.path.getsize(path) >= 8_000_000
    assert connections[alias].cursor().execute("SELECT count(*) FROM picture").fetchone() == (2000,)


def test_a_checkpoint_reads_any_file_name_and_never_creates_a_database(tmp_path):
    import sqlite3

    path = tmp_path / "a?b#c.sqlite3"  # URI syntax in the name: it is the file's name
    database = sqlite3.connect(path)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("CREATE TABLE t (n integer)")
    database.commit()
    try:
        busy, log_pages, _ = checkpoints.checkpoint(str(path))
    finally:
        database.close()
    assert (busy, log_pages >= 0) == (0, True)  # its write-ahead log found (-1: not the database)
    assert sorted(child.name for child in tmp_path.iterdir() if not child.name.startswith(path.name)) == []
    with pytest.raises(sqlite3.OperationalError):
        checkpoints.checkpoint(str(tmp_path / "gone.sqlite3"))
    assert not (tmp_path / "gone.sqlite3").exists()
