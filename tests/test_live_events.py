"""Live messages of stored events are gathered per process (events/live.py): the box's request
only notes its batch; a thread sends every batch of the interval, one message per site."""
import threading
import time

import pytest
from django.utils import timezone

from devices.models import Area, Box, SubDevice
from events import live as live_events
from events.models import Event
from events.services import intake_events

from .helpers import event

pytestmark = pytest.mark.django_db(transaction=True)  # the gathering thread reads what intake committed


@pytest.fixture
def gathered(settings, monkeypatch):
    """Live messages as the gathering thread sends them: [(site, payload)], with an event set on each."""
    settings.LIVE_EVENTS_INTERVAL = 0.3
    monkeypatch.setattr(live_events, "_gatherers", {})
    sent, arrived = [], threading.Event()

    def publish(kind, payload, site):
        assert kind == "events"
        sent.append((site, payload, threading.current_thread().name))
        arrived.set()

    monkeypatch.setattr("events.live.live.publish", publish)
    yield sent, arrived
    for gatherer in live_events._gatherers.values():
        gatherer.stop()


def test_batches_of_an_interval_go_out_together_one_message_a_site(gathered, settings):
    sent, _arrived = gathered
    settings.LIVE_EVENTS_INTERVAL = 60  # one interval for all four requests, however slow the machine
    north, south = Area.objects.create(name="North"), Area.objects.create(name="South")
    gate = Box.objects.create(name="gate", dev_sno="LIVE0001", area=Area.objects.create(name="Gate", parent=north))
    door = Box.objects.create(name="door", dev_sno="LIVE0002", area=north)
    lobby = Box.objects.create(name="lobby", dev_sno="LIVE0003", area=south)
    SubDevice.objects.create(box=gate, ep_id="X__192.168.1.25", ip="192.168.1.25", name="Gate cam", location="",
                             status="online", device_type=0)
    now = int(timezone.now().timestamp() * 1000)
    intake_events(gate, [event("a", now - 2000), event("b", now - 1000)])
    intake_events(door, [event("c", now)])
    intake_events(lobby, [event("d", now)])
    intake_events(gate, [event("a", now - 2000)])  # a re-send: stored once, not announced again
    assert sent == []  # the requests only noted their batches

    live_events._gatherer().stop()  # its thread sends what it gathered, as at the interval's end
    by_site = {site: payload["events"] for site, payload, _thread in sent}
    assert len(sent) == 2 and {thread for *_rest, thread in sent} == {"live-events"}
    assert [(e["identity_id"], e["box_name"]) for e in by_site[north.pk]] == [("a", "gate"), ("b", "gate"),
                                                                               ("c", "door")]
    assert [e["identity_id"] for e in by_site[south.pk]] == ["d"]
    assert by_site[north.pk][0]["camera_name"] == "Gate cam" and by_site[north.pk][2]["camera_name"] == ""
    assert by_site[north.pk][0]["id"] == Event.objects.get(identity_id="a").pk


def test_the_thread_sends_a_batch_newest_events_by_itself_and_nothing_for_an_empty_interval(gathered):
    sent, arrived = gathered
    box = Box.objects.create(name="gate", dev_sno="LIVE0004")
    now = int(timezone.now().timestamp() * 1000)
    intake_events(box, [event(f"p{i:02d}", now - 1000 * (30 - i)) for i in range(30)])
    assert arrived.wait(10)
    time.sleep(1)  # three more intervals with nothing stored
    [(site, payload, _thread)] = sent
    shown = [e["identity_id"] for e in payload["events"]]
    assert site is None and shown == [f"p{i:02d}" for i in range(30 - live_events.LIVE_LIMIT, 30)]
