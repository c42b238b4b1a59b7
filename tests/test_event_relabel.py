"""Relabelling events (events.services.relabel_events): the event shows the new label, the label
its box sent is kept for audit, and relabelling again keeps the first one first."""
from datetime import UTC, datetime

import pytest

from aibox_contract.people import STRANGER, VISITOR
from events.models import Event, Relabel
from events.selectors import original_label
from events.services import Label, relabel_events

pytestmark = pytest.mark.django_db


def stranger_event(box, key: str) -> Event:
    return Event.objects.create(box=box, dedup_key=key, occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
                                timestamp_ms=1, identity_id=f"stranger_{key}", identity_name="stranger", score=0.2,
                                person_type=STRANGER)


def test_relabelled_events_show_the_person_and_keep_what_the_box_said(make_box, admin_user):
    box = make_box("gate")
    events = [stranger_event(box, "a"), stranger_event(box, "b")]
    visitor = Label("p-1", "Ann Visitor", VISITOR)
    assert relabel_events(events, visitor, Relabel.Reason.STRANGER_ENROLLED, by=admin_user) == 2
    for event in events:
        event.refresh_from_db()
        assert (event.identity_id, event.identity_name, event.person_type) == ("p-1", "Ann Visitor", VISITOR)
        kept = original_label(event)
        assert (kept.from_identity_id, kept.from_person_type, kept.by) == (f"stranger_{event.dedup_key}", STRANGER,
                                                                            admin_user)
    # Already showing it: nothing to record.
    assert relabel_events(events, visitor, Relabel.Reason.STRANGER_ENROLLED) == 0
    # Corrected again: the first record still holds what the box said.
    assert relabel_events(events[:1], Label("p-2", "Bob", VISITOR), Relabel.Reason.THIS_IS) == 1
    assert original_label(events[0]).from_identity_id == "stranger_a"
    assert [r.to_identity_id for r in events[0].relabels.all()] == ["p-1", "p-2"]


def test_an_event_never_relabelled_has_no_original_label(make_box):
    assert original_label(stranger_event(make_box("gate"), "c")) is None
