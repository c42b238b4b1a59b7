"""History event intake at the login's recordAddr, as a stock box would send it."""
import base64
from pathlib import Path

from django.conf import settings

from events.models import Event

from .face.conftest import FACES


def event(identity: str, timestamp: int, picture: bytes | None = None, **ext) -> dict:
    body = {"identity_id": identity, "identity_name": identity.title(), "group_name": "default_group",
            "timestamp": timestamp, "score": 0.91,
            "ext_data": {"device_ip": "192.168.1.25", "ep_id": "X__192.168.1.25", "person_type": 1,
                         "device_type": "4", "grab_fiqa_info": {}, "box_fiqa_info": {"fiqa_result": True},
                         "dev_sno": "X", **ext}}
    if picture:
        body["ext_data"]["spot_pic"] = base64.b64encode(picture).decode()
    return body


def record_url(client, box) -> str:
    login = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000e1"}).json()
    return login["recordAddr"]  # used verbatim, as a stock box does


def test_batch_is_stored_with_pictures_as_files_and_a_resend_stores_nothing_twice(client, make_box):
    box = make_box("events")
    url = record_url(client, box)
    photo = (FACES / "probe/obama/4.jpg").read_bytes()
    batch = [event("obama", 1_700_000_000_000 + i, photo if i == 0 else None, camera="north") for i in range(3)]
    first = client.post(url, batch, content_type="application/json")
    assert first.status_code == 200 and first.json() == {"data": {"stored": 3, "duplicates": 0}}
    again = client.post(url, batch, content_type="application/json")
    assert again.json() == {"data": {"stored": 0, "duplicates": 3}}
    assert Event.objects.filter(box=box).count() == 3
    stored = Event.objects.get(box=box, timestamp_ms=1_700_000_000_000)
    assert stored.spot_pic.startswith("events/2023/11/14/") and stored.ext_data == {"camera": "north"}
    assert (Path(settings.MEDIA_ROOT) / stored.spot_pic).read_bytes() == photo
    assert (stored.identity_name, stored.device_type, stored.ep_id) == ("Obama", 4, "X__192.168.1.25")
    assert stored.box_fiqa_info == {"fiqa_result": True}


def test_a_single_event_object_is_accepted_too(client, make_box):
    box = make_box("one")
    response = client.post(record_url(client, box), event("biden", 1_700_000_000_500), content_type="application/json")
    assert response.json()["data"]["stored"] == 1


def test_bad_bodies_are_refused_whole_with_the_position(client, make_box):
    box = make_box("bad")
    url = record_url(client, box)
    for batch, words in (
        ([event("a", 1), {"identity_id": "b", "timestamp": 2, "score": 0.5}], "event 1: ext_data"),
        ([event("a", "soon")], "timestamp"),
        ([event("a", 1, spot_pic="%%%")], "spot_pic"),
        ('"not a list"', "event 0"),
    ):
        response = client.post(url, batch, content_type="application/json")
        assert response.status_code == 400, batch
        assert response.json()["error"]["code"] == 40091 and words in response.json()["error"]["message"]
    assert not Event.objects.exists()
    broken = client.post(url, "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == 40091


def test_wrong_token_is_refused(client, make_box):
    box = make_box("auth")
    response = client.post(f"/box/events/history?dev_sno={box.dev_sno}&token=nope", [event("a", 1)],
                           content_type="application/json")
    assert response.status_code == 401 and not Event.objects.exists()


def test_a_realtime_event_is_completed_by_its_history_record_not_doubled(client, make_box):
    box = make_box("live")
    login = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000e3"}).json()
    live = event("obama", 1_700_000_001_000)
    del live["ext_data"]["ep_id"]  # a stock box's realtime body has no ep_id
    assert client.post(login["realtimeAddr"], live, content_type="application/json").json()["data"]["stored"] == 1
    assert Event.objects.get(box=box).channel == "realtime"
    record = event("obama", 1_700_000_001_000, (FACES / "probe/obama/4.jpg").read_bytes())
    reply = client.post(login["recordAddr"], [record], content_type="application/json").json()
    assert reply == {"data": {"stored": 0, "duplicates": 1}}
    stored = Event.objects.get(box=box)
    assert (stored.channel, stored.ep_id) == ("history", "X__192.168.1.25") and stored.spot_pic


def test_nul_characters_are_dropped_not_a_server_error(client, make_box):
    box = make_box("nul")
    body = event("o\u0000bama", 1_700_000_000_000)
    body["identity_name"] = "Ob\u0000ama"
    response = client.post(record_url(client, box), [body], content_type="application/json")
    assert response.status_code == 200
    assert Event.objects.get(box=box).identity_name == "Obama"
