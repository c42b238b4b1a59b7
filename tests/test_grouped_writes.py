"""Group commit on SQLite (cloudplatform/grouped_writes.py): requests' writes run together on
one thread, each undone alone when it fails."""
import threading
import time

import pytest
from django.db import connection, transaction

from cloudplatform import grouped_writes
from devices.models import Box

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="grouped on SQLite only (the setting's default)")


def test_many_threads_writes_run_on_one_thread_and_are_all_stored(transactional_db, make_box):
    boxes = [make_box(f"grouped {i}") for i in range(20)]
    ready = threading.Barrier(len(boxes))
    writers, answers = set(), {}

    def rename(box):
        ready.wait()

        def work():
            writers.add(threading.current_thread().name)
            return Box.objects.filter(pk=box.pk).update(name=f"renamed {box.pk}")

        answers[box.pk] = grouped_writes.write(work)

    threads = [threading.Thread(target=rename, args=(box,)) for box in boxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert writers == {"grouped-writes"}
    assert answers == {box.pk: 1 for box in boxes}
    assert sorted(Box.objects.values_list("name", flat=True)) == sorted(f"renamed {box.pk}" for box in boxes)


def test_a_failing_write_is_undone_alone_and_its_error_reaches_its_caller(transactional_db, make_box):
    first, second, third = (make_box(name) for name in ("first", "second", "third"))

    def rename(box, name):
        return lambda: Box.objects.filter(pk=box.pk).update(name=name)

    def slow_first():
        # Until the other two have queued: the three then run in one transaction.
        deadline = time.monotonic() + 10
        while grouped_writes._writer._queue.qsize() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        rename(first, "first renamed")()

    def failing():
        rename(second, "second renamed")()
        raise ValueError("refused")

    errors = []

    def run(work):
        try:
            grouped_writes.write(work)
        except ValueError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=run, args=(work,)) for work in (slow_first, failing,
                                                                       rename(third, "third renamed"))]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # in this order
    for thread in threads:
        thread.join(30)
    assert errors == ["refused"]
    assert [Box.objects.get(pk=box.pk).name for box in (first, second, third)] == [
        "first renamed", "second", "third renamed"]


def test_the_requests_context_goes_with_its_write(transactional_db):
    """A box's call turns django-auditlog off in its context (audit/context.py): its grouped
    writes must not be audited as if an operator made them."""
    from auditlog.context import disable_auditlog

    def audit_is_off():
        from auditlog.context import auditlog_disabled

        return auditlog_disabled.get(False)

    with disable_auditlog():
        assert grouped_writes.write(audit_is_off) is True
    assert grouped_writes.write(audit_is_off) is False


def test_inside_a_transaction_a_write_runs_inline(db):
    assert grouped_writes.write(lambda: threading.current_thread()) is threading.current_thread()


def test_the_writing_thread_outlives_a_group_that_failed_before_its_transaction(transactional_db, monkeypatch):
    """Every request waits on the one thread: a failure around the transaction (the database's
    lock file, a connection that cannot be replaced) answers its group and leaves it running."""
    run_group = grouped_writes._run_group

    def fail_once(group):
        monkeypatch.setattr(grouped_writes, "_run_group", run_group)
        raise OSError("no lock")

    monkeypatch.setattr(grouped_writes, "_run_group", fail_once)
    answers = []

    def both():
        try:
            grouped_writes.write(lambda: 1)
        except OSError as exc:
            answers.append(str(exc))
        answers.append(grouped_writes.write(lambda: 2))

    thread = threading.Thread(target=both, daemon=True)  # a dead writing thread would leave it waiting
    thread.start()
    thread.join(30)
    assert answers == ["no lock", 2]


def test_what_a_write_runs_on_commit_runs_after_it_in_the_callers_thread(transactional_db, make_box):
    """Not on the writing thread (the next group would wait for a slow broker), and only once
    the write is committed."""
    box = make_box("callbacks")
    seen = []

    def work():
        Box.objects.filter(pk=box.pk).update(name="renamed")
        transaction.on_commit(lambda: seen.append((threading.current_thread().name,
                                                   Box.objects.get(pk=box.pk).name)))
        return "done"

    assert grouped_writes.write(work) == "done"
    assert seen == [(threading.current_thread().name, "renamed")]


def test_a_failed_write_runs_none_of_its_callbacks(transactional_db):
    seen = []

    def work():
        transaction.on_commit(lambda: seen.append("ran"))
        raise ValueError("refused")

    with pytest.raises(ValueError):
        grouped_writes.write(work)
    assert grouped_writes.write(lambda: 1) == 1
    assert seen == []
