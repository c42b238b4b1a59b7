"""Statements made before the write transaction (cloudplatform/db/prepared.py): they store what
the ORM would, made in one thread and run in another (the grouped writes' thread)."""
import threading
from datetime import UTC, datetime

from django.db import connection, transaction

from cloudplatform.db.prepared import PreparedInsert, PreparedRows, PreparedUpdate
from events.models import Event


def passage(box, key: str, **fields) -> Event:
    return Event(box=box, dedup_key=key, occurred_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
                 timestamp_ms=1_796_025_600_000, score=0.9, **fields)


def in_another_thread(run):
    """What `run()` gives when called on a thread of its own, with its own connection (as the
    grouped writes' thread runs what a request made)."""
    outcome = {}

    def target():
        try:
            with transaction.atomic():
                outcome["value"] = run()
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return outcome["value"]


def test_an_insert_stores_rows_as_save_would_and_skips_the_ones_stored_already(transactional_db, make_box):
    box = make_box("prepared")
    Event.objects.create(box=box, dedup_key="old", occurred_at=datetime(2026, 11, 29, tzinfo=UTC),
                         timestamp_ms=1, score=0.5)
    events = [passage(box, "old"), passage(box, "new", identity_id="obama", grab_fiqa_info={"blur": 1})]
    insert = PreparedInsert(events, returning=("dedup_key", "id"))
    returned = dict(in_another_thread(insert.run))
    new = Event.objects.get(box=box, dedup_key="new")
    assert returned == {"new": new.pk}  # the conflicting row is neither stored again nor named
    assert Event.objects.get(box=box, dedup_key="old").score == 0.5
    assert (new.identity_id, new.grab_fiqa_info, new.person_type, new.channel) == ("obama", {"blur": 1}, 1, "history")
    assert new.received_at is not None and new.occurred_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_an_insert_larger_than_one_statement_takes_several_and_stores_every_row(transactional_db, make_box):
    box = make_box("many")
    events = [passage(box, f"k{index}") for index in range(300)]
    insert = PreparedInsert(events, returning=("id",))
    if connection.features.max_query_params:  # SQLite: 999 parameters a statement
        assert len(insert.statements) > 1
    assert len(in_another_thread(insert.run)) == 300
    assert Event.objects.filter(box=box).count() == 300


def test_an_update_and_a_select_run_as_compiled_and_say_what_they_found(transactional_db, make_box):
    box, other = make_box("updated"), make_box("left alone")
    for each in (box, other):
        Event.objects.create(box=each, dedup_key="k", occurred_at=datetime(2026, 11, 29, tzinfo=UTC),
                             timestamp_ms=1, score=0.5)
    update = PreparedUpdate(Event.objects.filter(box=box), score=0.75, ext_data={"door": "north"})
    assert in_another_thread(update.run) == 1
    assert list(Event.objects.filter(box=box).values_list("score", "ext_data")) == [(0.75, {"door": "north"})]
    assert Event.objects.get(box=other).score == 0.5
    rows = PreparedRows(Event.objects.filter(box__in=[box, other]).order_by("score").values_list("dedup_key", "score"))
    assert in_another_thread(rows.run) == [("k", 0.5), ("k", 0.75)]
    assert PreparedInsert([]).run() == []
