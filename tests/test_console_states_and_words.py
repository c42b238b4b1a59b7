"""Issue 12 items 4 and 5: pages that agree with each other after a wipe (two clear actions),
cameras of an offline box not shown online, and words instead of codes (camera names, device
types, readable tables, person names in the command log, an event detail page)."""
import json
import re

import pytest
from django.utils import timezone

from devices.models import Box, SubDevice
from distribution import services as distribution
from distribution.models import Command, Enrolment
from events.models import Event
from events.services import intake_events
from users import services
from users.models import PermissionGroup, Person

from .fakebox import FakeBox
from .helpers import event


@pytest.fixture
def console(client, admin_user):
    client.force_login(admin_user)
    return client


class _posting:
    """The console's posts run their on-commit publishing, as in production."""

    def __init__(self, commit) -> None:
        self.commit = commit

    def __enter__(self):
        self.block = self.commit.capture(execute=True)
        return self.block.__enter__()

    def __exit__(self, *exc):
        return self.block.__exit__(*exc)


@pytest.fixture
def enrolled_box(make_box, console, commit, photo):
    """A box serving group "Staff" with two people on it, enrolled."""
    box = make_box("Front door")
    group = PermissionGroup.objects.create(name="Staff")
    commit(services.set_group_boxes, group, [box])
    fake = FakeBox(console, box.dev_sno)
    for identity_id, name in (("s-1", "Ada"), ("s-2", "Grace")):
        commit(services.create_person, name=name, identity_id=identity_id, photo=photo, permission_groups=[group])
    for command in fake.receive_all():
        fake.answer_http(command, fake.result(command, success=command["userid_list"]))
    assert set(Enrolment.objects.filter(box=box, state="enrolled").values_list("identity_id", flat=True)) == {
        "s-1", "s-2"}
    return box, group, fake


def wipe_answer(fake: FakeBox, command: dict, success: bool = True) -> dict:
    return {"success": success, "code": 0 if success else 50001, "message": "重置数据成功" if success else "disk busy",
            "dev_sno": fake.dev_sno, "messageKey": "wipe_data", "messageId": command["messageId"],
            "result": {"wipe_options": command["wipe_options"]}}


def states(box: Box) -> dict[str, str]:
    return dict(Enrolment.objects.filter(box=box).values_list("identity_id", "state"))


def test_wipe_and_send_again_keeps_the_groups_and_every_page_shows_the_truth(console, enrolled_box, commit):
    box, group, fake = enrolled_box
    # Someone the box holds but no longer serves (their group was taken away without a sync).
    Enrolment.objects.create(box=box, identity_id="gone-1", state="enrolled")
    page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert 'id="wipe-resend"' in page and 'id="wipe-detach"' in page and "Wipe its people" not in page
    with _posting(commit):
        response = console.post(f"/boxes/{box.pk}/command/wipe-resend/")
    assert response.status_code == 302
    wipe, add = fake.receive(), fake.receive()
    assert wipe["method"] == "wipe_data" and wipe["wipe_options"] == {"users": True, "events": False}
    assert add["method"] == "add_users_plus" and add["userid_list"] == ["s-1", "s-2"]
    assert states(box) == {"s-1": "pending", "s-2": "pending", "gone-1": "deleting"}
    box_page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert "Nobody" not in box_page and 'id="missing-people"' not in box_page
    assert box_page.count("pending</span>") >= 2
    fake.answer_http(wipe, wipe_answer(fake, wipe))
    # The wipe voids what came before it, not the sends that follow it.
    assert states(box) == {"s-1": "pending", "s-2": "pending"}
    fake.answer_http(add, fake.result(add, success=["s-1", "s-2"]))
    assert states(box) == {"s-1": "enrolled", "s-2": "enrolled"}
    assert list(group.boxes.all()) == [box]
    person = Person.objects.get(identity_id="s-1")
    person_page = console.get(f"/people/{person.pk}/").content.decode()
    assert "enrolled" in person_page and "not sent" not in person_page and 'id="unsent"' not in person_page


def test_wipe_and_detach_leaves_a_box_serving_nobody_and_says_so(console, enrolled_box, commit, monkeypatch):
    box, group, fake = enrolled_box
    fragments = {}
    monkeypatch.setattr("cloudplatform.live.publish_fragments",
                        lambda default, translated, site: fragments.update(default))
    with _posting(commit):
        console.post(f"/boxes/{box.pk}/command/wipe-detach/")
    wipe = fake.receive()
    assert wipe["method"] == "wipe_data" and fake.receive(timeout=0.5) is None
    assert not group.boxes.exists()
    assert states(box) == {"s-1": "deleting", "s-2": "deleting"}
    box_page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert "No permission group is attached: this box serves nobody." in box_page
    assert box_page.count("deleting</span>") == 2
    fake.answer_http(wipe, wipe_answer(fake, wipe))
    assert states(box) == {}
    # Open pages hear that the box no longer holds them (not "not sent").
    for identity_id in ("s-1", "s-2"):
        assert "data-removed" in fragments[f"enrolment:{box.pk}:{identity_id}"]
    box_page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert "Nobody yet: attach a permission group to this box." in box_page
    person_page = console.get(f"/people/{Person.objects.get(identity_id='s-1').pk}/").content.decode()
    assert "No box serves this person's groups." in person_page


def test_a_failed_wipe_leaves_those_it_was_to_remove_failed_with_the_reason(console, enrolled_box, commit):
    box, _group, fake = enrolled_box
    with _posting(commit):
        console.post(f"/boxes/{box.pk}/command/wipe-detach/")
    wipe = fake.receive()
    fake.answer_http(wipe, wipe_answer(fake, wipe, success=False))
    assert states(box) == {"s-1": "failed", "s-2": "failed"}
    assert Enrolment.objects.filter(box=box, message="The box did not wipe: disk busy").count() == 2
    assert "The box did not wipe: disk busy" in console.get(f"/boxes/{box.pk}/").content.decode()


def test_after_a_bare_wipe_the_pages_prompt_to_send_the_people_again(console, enrolled_box, commit):
    box, _group, fake = enrolled_box
    wipe = commit(distribution.wipe_box, box)
    command = fake.receive()
    fake.answer_http(command, wipe_answer(fake, command))
    assert Command.objects.get(pk=wipe.pk).state == "done" and states(box) == {}
    box_page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert "Nobody yet" not in box_page and "Nobody is on this box yet." in box_page
    assert "2 people its groups serve are not on this box: they were never sent or were wiped." in box_page
    person = Person.objects.get(identity_id="s-1")
    person_page = console.get(f"/people/{person.pk}/").content.decode()
    assert "not sent" in person_page and 'id="unsent"' in person_page
    assert "1 box that serves this person was not asked to hold them (it was wiped, say)." in person_page
    with _posting(commit):
        assert console.post(f"/people/{person.pk}/send/").status_code == 302
    assert fake.receive()["userid_list"] == ["s-1"] and states(box) == {"s-1": "pending"}
    with _posting(commit):
        console.post(f"/boxes/{box.pk}/command/send-missing/")
    assert fake.receive()["userid_list"] == ["s-2"] and states(box) == {"s-1": "pending", "s-2": "pending"}
    assert 'id="missing-people"' not in console.get(f"/boxes/{box.pk}/").content.decode()


def test_a_camera_of_an_offline_box_is_not_shown_online(console, make_box):
    box = make_box("Cameras")
    SubDevice.objects.create(box=box, ep_id=f"{box.dev_sno}__10.0.0.7", ip="10.0.0.7", name="Lobby cam",
                             location="Ground floor", status="online", device_type=1)
    cameras = re.compile(r'<table[^>]*id="sub-devices".*?</table>', re.S)
    offline = cameras.search(console.get(f"/boxes/{box.pk}/").content.decode()).group(0)
    assert ">online<" not in offline and "unknown" in offline and f'data-camera-state="{box.pk}"' in offline
    assert "Lobby cam" in offline and "Ground floor" in offline and "snapshot camera" in offline
    Box.objects.filter(pk=box.pk).update(online=True)
    online = cameras.search(console.get(f"/boxes/{box.pk}/").content.decode()).group(0)
    assert '<span class="badge text-bg-success">online</span>' in online and "unknown" not in online


def test_events_name_their_camera_and_have_a_detail_page(console, make_box, photo, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    box = make_box("North")
    SubDevice.objects.create(box=box, ep_id="X__192.168.1.25", ip="192.168.1.25", name="North gate cam",
                             location="Car park", status="online", device_type=0)
    Person.objects.create(identity_id="obama", name="Barack Obama")
    sent = []
    monkeypatch.setattr("events.live.live.publish", lambda kind, payload, site: sent.append((kind, payload)))
    now = int(timezone.now().timestamp() * 1000)
    first = event("obama", now - 5000, photo)
    first["reg_pic"] = first["ext_data"]["spot_pic"]
    first["ext_data"]["box_fiqa_info"] = {
        "age": 40, "sex": 0, "fiqa_result": True, "success": ["face_size", "headpose"], "fails": [],
        "info": {"face_size": 255.0, "clarity": 1.2856, "headpose": {"roll_angle": 10.107, "pitch_angle": 14.413,
                                                                      "yaw_angle": 7.326}, "partial": False}}
    first["ext_data"]["door"] = "east"
    with django_capture_on_commit_callbacks(execute=True):  # the live message follows the commit
        intake_events(box, [first, event("obama", now)])
    [(kind, payload)] = sent
    live = payload["events"][0]
    assert kind == "events" and live["camera_name"] == "North gate cam" and live["camera_location"] == "Car park"
    older = Event.objects.get(timestamp_ms=now - 5000)
    assert live["detail_url"] == f"/events/{older.pk}/"

    listing = console.get("/events/").content.decode()
    assert "North gate cam" in listing and "Car park" in listing and f'href="/events/{older.pk}/"' in listing
    api = console.get("/api/events/").json()["results"][0]
    assert (api["camera_name"], api["camera_location"]) == ("North gate cam", "Car park")

    detail = console.get(f"/events/{older.pk}/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert f'src="/events/{older.pk}/spot.jpg"' in html and f'src="/events/{older.pk}/reg.jpg"' in html
    assert 'id="event-score">0.910<' in html
    person = Person.objects.get(identity_id="obama")
    assert f'href="/people/{person.pk}/"' in html and "Barack Obama" in html
    assert "North gate cam" in html and "Car park" in html and ">door access<" in html
    assert f'href="/boxes/{box.pk}/"' in html
    assert "1 other sighting of this identity" in html and 'href="/events/?identity_id=obama"' in html
    quality = re.search(r'id="box-quality">(.*?)</div>', html, re.S).group(1)
    assert "{" not in quality and "Head pose" in quality and "Yaw" in quality and "7.33" in quality
    assert "Face size" in quality and "male" in quality and ">yes<" in quality
    others = re.search(r'id="other-fields">(.*?)</div>', html, re.S).group(1)
    assert 'title="door">door</th><td>east</td>' in others
    assert console.get("/events/?identity_id=obama").content.decode().count("data-event-id=") == 2


def test_the_live_message_names_cameras_as_the_events_api_does(console, make_box, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    """The live message finds each event's camera in Python (events.selectors.with_cameras), the
    pages and API in SQL (with_devices): by ep_id, else by IP, the first by ep_id; none, empty."""
    box = make_box("West")
    SubDevice.objects.create(box=box, ep_id="W__10.0.0.9", ip="10.0.0.9", name="Gate by id", location="Yard",
                             status="online", device_type=0)
    SubDevice.objects.create(box=box, ep_id="W__b", ip="10.0.0.7", name="Second by IP", location="Hall",
                             status="online", device_type=0)
    SubDevice.objects.create(box=box, ep_id="W__a", ip="10.0.0.7", name="First by IP", location="Lobby",
                             status="online", device_type=0)
    sent = []
    monkeypatch.setattr("events.live.live.publish", lambda kind, payload, site: sent.append(payload))
    now = int(timezone.now().timestamp() * 1000)
    with django_capture_on_commit_callbacks(execute=True):
        intake_events(box, [event("a", now - 3000, ep_id="W__10.0.0.9", device_ip="10.0.0.9"),
                            event("b", now - 2000, ep_id="", device_ip="10.0.0.7"),
                            event("c", now - 1000, ep_id="W__none", device_ip="10.9.9.9"),
                            event("d", now, ep_id="", device_ip="")])
    [payload] = sent
    live = {item["identity_id"]: item for item in payload["events"]}
    api = {item["identity_id"]: item for item in console.get("/api/events/").json()["results"]}
    assert {i: (live[i]["camera_name"], live[i]["camera_location"]) for i in live} == {
        "a": ("Gate by id", "Yard"), "b": ("First by IP", "Lobby"), "c": ("", ""), "d": ("", "")}
    for identity, item in live.items():
        assert item == {key: api[identity][key] for key in item}, identity


def test_a_stranger_event_without_a_known_camera_still_reads(console, make_box):
    box = make_box("South")
    intake_events(box, [event("13028", int(timezone.now().timestamp() * 1000), person_type=4, ep_id="",
                              device_type="1")])
    stranger = Event.objects.get()
    html = console.get(f"/events/{stranger.pk}/").content.decode()
    assert "Stranger" in html and "camera at 192.168.1.25" in html and "snapshot camera" in html
    assert "No picture from the camera." in html and "No registration photo." in html
    assert "0 other sightings of this identity" in html
    assert console.get("/events/999999/").status_code == 404


def test_words_not_codes_on_the_person_box_and_command_pages(console, enrolled_box, commit, photo):
    box, group, fake = enrolled_box
    person = Person.objects.get(identity_id="s-1")
    commit(services.update_person, person, info={"floor": 3, "badge": "A-17"})
    command = fake.receive()
    fake.answer_http(command, fake.result(command, success=["s-1"]))
    page = console.get(f"/people/{person.pk}/").content.decode()
    extra = re.search(r'id="extra-fields">(.*?)</dd>', page, re.S).group(1)
    assert "{" not in extra and 'title="floor">floor</th><td>3</td>' in extra
    assert "0 ok" not in page and "0 enrolled" not in page
    Enrolment.objects.filter(box=box, identity_id="s-2").update(state="failed", code=40009, message="face too small")
    box_page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert "0 ok" not in box_page and "face too small <small" in box_page and "(code 40009)" in box_page
    detail = console.get(f"/commands/{Command.objects.get(message_id=command['messageId']).pk}/").content.decode()
    assert f'<a href="/people/{person.pk}/">Ada</a>' in detail and "<code>s-1</code>" in detail
    with _posting(commit):
        console.post(f"/people/{person.pk}/send/")  # nothing to send: they are on the box
    waiting = commit(distribution.sync_box, box, ["s-1"], refresh=["s-1"])[0]
    sent = console.get(f"/commands/{waiting.pk}/").content.decode()
    assert "Waiting for the box: 1 person sent." in sent
    assert re.search(r'id="sent-people">.*Ada.*s-1', sent, re.S)


def test_a_fiqa_report_reads_as_tables(console, make_box):
    box = make_box("Checker")
    command = Command.objects.create(box=box, method="fiqa", payload={"method": "fiqa"}, state="done", result={
        "success": True, "result": {"data": [{"bbox": [1, 2, 3, 4], "fiqa_result": True, "success": ["headpose"],
                                              "fails": ["mask"], "info": {"headpose": {"pitch_angle": 9.38,
                                                                                      "roll_angle": -0.05,
                                                                                      "yaw_angle": -1.63},
                                                                         "occlusion": [True, False, True],
                                                                         "mask": None}}]}})
    html = console.get(f"/commands/{command.pk}/").content.decode()
    report = re.search(r'id="fiqa-report"(.*?)<details', html, re.S).group(1)
    assert "{" not in report and "Head pose" in report and "Pitch" in report and "9.38" in report
    assert "yes, no, yes" in report and "not assessed" in report and 'title="mask">Mask<' in report
    assert json.loads(json.dumps(command.result))  # unchanged, kept as sent
