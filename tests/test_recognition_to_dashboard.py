"""From a camera picture on a box to the administrators' live console, through the real
platform (ASGI under uvicorn: HTTP and WebSocket), the real broker and the real face models."""
import base64
import time

import pytest

from devices.models import Box, BoxStatus, SubDevice
from devices.tasks import mark_silent_boxes_offline
from distribution.models import Enrolment
from edge_agent.api.app import create_app
from events.models import Event
from users import services
from users.models import PermissionGroup

from .console_socket import ConsoleSocket
from .helpers import AGENT_KEY, push, wait_for
from .paths import FACES

HEADERS = {"X-API-Key": AGENT_KEY}
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def test_a_probe_reaches_the_events_api_and_the_live_console(
        start_agent, box, asgi_server, admin_user):
    agent = start_agent()
    group = PermissionGroup.objects.create(name="staff")
    services.set_group_boxes(group, [box])
    for name in ("obama", "biden"):
        services.create_person(name=name.title(), identity_id=name, permission_groups=[group],
                               photo=(FACES / "enroll" / name / "1.jpg").read_bytes())
    wait_for(lambda: Enrolment.objects.filter(box=box, state="enrolled").count() == 2, timeout=60)
    console = ConsoleSocket.for_user(asgi_server, admin_user)
    try:
        # How fast is bench/events.py's (realtime p50/p99); here: that it arrives, and right.
        push(agent, FACES / "probe" / "obama" / "2.jpg")
        [event] = console.next(lambda m: m["kind"] == "events", timeout=30)["events"]
        assert event["identity_id"] == "obama" and event["box"] == box.pk, event
        listed = console.http.get("/api/events/", {"identity_id": "obama"}).json()["results"]
        assert [e["identity_name"] for e in listed] == ["Obama"] and listed[0]["person_type_label"] == "staff"
        picture = console.http.get(listed[0]["spot_pic_url"])
        assert picture.status_code == 200 and b"".join(picture.streaming_content)[:2] == b"\xff\xd8"

        push(agent, FACES / "probe" / "stranger" / "1.png")
        [event] = console.next(lambda m: m["kind"] == "events", timeout=30)["events"]
        assert event["person_type"] == 4 and event["person_type_label"] == "stranger"
        assert console.http.get("/api/events/", {"type": 4}).json()["count"] == 1
        # The history upload that follows completes those events; it adds none.
        wait_for(lambda: set(Event.objects.values_list("channel", flat=True)) == {"history"}, timeout=30)
        assert Event.objects.filter(box=box).count() == 2
    finally:
        console.close()


def test_events_made_while_the_platform_is_away_all_arrive_once_it_is_back(start_agent, box, asgi_server):
    agent = start_agent()
    asgi_server.stop()
    pictures = [FACES / "probe" / "obama" / f"{i}.jpg" for i in range(1, 6)] + [FACES / "probe" / "biden" / "1.jpg"]
    for picture in pictures:
        push(agent, picture)
    time.sleep(2.5)  # uploads fail meanwhile; the box keeps every event
    assert Event.objects.count() == 0 and len(agent.events) == len(pictures)
    asgi_server.start()
    wait_for(lambda: Event.objects.filter(box=box).count() >= len(pictures), timeout=60)
    time.sleep(3)  # later rounds must not send anything twice
    assert Event.objects.filter(box=box).count() == len(pictures)
    assert all(agent.health_report()["events_waiting"][key] == 0 for key in agent.health_report()["events_waiting"])


def test_status_reports_flip_a_box_online_and_silence_flips_it_offline(start_agent, box, asgi_server, admin_user):
    agent = start_agent()
    wait_for(lambda: BoxStatus.objects.filter(box=box, cpu_usage__isnull=False).exists(), timeout=10)
    assert Box.objects.get(pk=box.pk).is_online
    console = ConsoleSocket.for_user(asgi_server, admin_user)
    try:
        agent.stop(10)
        time.sleep(3.5)  # three status periods of one second
        assert mark_silent_boxes_offline() == 1
        assert not Box.objects.get(pk=box.pk).is_online
        message = console.next(lambda m: m["kind"] == "box", timeout=2.0)
        assert message["id"] == box.pk and message["online"] is False
        page = console.http.get(f"/boxes/{box.pk}/").content.decode()
        assert "offline" in page
        start_agent()  # the box comes back: its login and reports bring it online by themselves
        message = console.next(lambda m: m["kind"] == "box", timeout=5.0)
        assert message["online"] is True and Box.objects.get(pk=box.pk).is_online
        assert mark_silent_boxes_offline() == 0
    finally:
        console.close()


def test_a_device_added_on_the_box_is_reported_and_listed_with_its_state(start_agent, box):
    agent = start_agent()
    api = create_app(agent, AGENT_KEY).test_client()
    reply = api.post("/SophonFogSys/api/devices", headers=HEADERS,
                     json={"ep_ip": "10.1.1.20", "ep_name": "Turnstile 2", "ep_type": 0, "ep_location": "Lobby"})
    assert reply.status_code == 200
    ep_id = f"{box.dev_sno}__10.1.1.20"
    device = wait_for(lambda: SubDevice.objects.filter(box=box, ep_id=ep_id).first(), timeout=10)
    assert (device.name, device.device_type, device.ip) == ("Turnstile 2", 0, "10.1.1.20")
    push_from = create_app(agent, AGENT_KEY).test_client()
    photo = base64.b64encode((FACES / "probe" / "biden" / "1.jpg").read_bytes()).decode()
    push_from.post("/SophonFogSys/api/recognize", headers=HEADERS, json={"image": photo, "device_ip": "10.1.1.20"})
    # The next status report lists it online (a picture just came from it).
    wait_for(lambda: SubDevice.objects.filter(box=box, ep_id=ep_id, status="online").exists(), timeout=10)
    event = wait_for(lambda: Event.objects.filter(box=box, ep_id=ep_id).first(), timeout=10)
    assert event.device_type == 0 and event.device_ip == "10.1.1.20"
    assert api.delete("/SophonFogSys/api/devices", headers=HEADERS, json={"ep_ip": "10.1.1.20"}).status_code == 200
    wait_for(lambda: not SubDevice.objects.filter(box=box, ep_id=ep_id).exists(), timeout=10)
