"""The box's own event pipeline: recognise, store (bounded), upload by cursor, video with a tracker."""
import base64
import io
import os
import threading
import time

import numpy as np
import pytest
from PIL import Image
from werkzeug.serving import make_server

from edge_agent.api.app import create_app
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig
from edge_agent.events import EventStore
from edge_agent.face.gallery import Person
from edge_agent.reporting import HistoryTarget, HistoryUploader

from .edge_cloud import wait_until
from .paths import FACES

KEY = "test-key"
HEADERS = {"X-API-Key": KEY}
PEOPLE = ["obama", "biden", "rose_leslie"]


@pytest.fixture
def agent(tmp_path):
    agent = EdgeBox(BoxConfig(tmp_path / "box", dev_sno="TESTSNO", mac="0x0000aabbccdd"))
    for name in PEOPLE:
        face = agent.engine.enrol((FACES / "enroll" / name / "1.jpg").read_bytes())
        agent.gallery.upsert(Person(name, name.replace("_", " ").title(), 1, ("0", "face:default_group")),
                             face.embedding)
    yield agent
    agent.stop(5)


@pytest.fixture
def api(agent):
    return create_app(agent, KEY).test_client()


def test_a_pushed_picture_is_recognised_answered_and_stored_as_a_contract_event(agent, api):
    photo = (FACES / "probe" / "obama" / "1.jpg").read_bytes()
    assert api.post("/SophonFogSys/api/devices", json={"ep_ip": "10.0.0.7", "ep_name": "Front door", "ep_type": 4},
                    headers=HEADERS).status_code == 200
    reply = api.post("/SophonFogSys/api/recognize", headers=HEADERS,
                     json={"image": base64.b64encode(photo).decode(), "device_ip": "10.0.0.7"})
    assert reply.status_code == 200, reply.json
    faces = reply.json["data"]["faces"]
    assert [f["identity_id"] for f in faces] == ["obama"] and faces[0]["matched"] and faces[0]["similarity"] > 0.4
    [stored] = agent.events.pending("anyone")
    event = stored.wire()
    assert event["identity_id"] == "obama" and event["identity_name"] == "Obama" and event["score"] > 0.4
    assert abs(event["timestamp"] - time.time() * 1000) < 10_000
    ext = event["ext_data"]
    assert ext["ep_id"] == "TESTSNO__10.0.0.7" and ext["device_ip"] == "10.0.0.7" and ext["device_type"] == "4"
    assert ext["person_type"] == 1 and ext["dev_sno"] == "TESTSNO" and ext["grab_fiqa_info"] == {}
    assert base64.b64decode(ext["spot_pic"])[:2] == b"\xff\xd8" and ext["box_fiqa_info"]["info"]["face_size"] > 0


def test_a_stranger_is_an_event_of_person_type_4_and_multipart_works_too(agent, api):
    photo = (FACES / "probe" / "stranger" / "1.png").read_bytes()
    reply = api.post("/SophonFogSys/api/recognize", headers=HEADERS, content_type="multipart/form-data",
                     data={"image": (io.BytesIO(photo), "stranger.png")})
    assert reply.status_code == 200, reply.json
    assert [f["person_type"] for f in reply.json["data"]["faces"]] == [4]
    [stored] = agent.events.pending("anyone")
    assert stored.body["ext_data"]["person_type"] == 4 and stored.body["identity_name"] == "stranger"


@pytest.mark.parametrize("body, code", [({}, 40091), ({"image": "not base64!"}, 40091),
                                        ({"image": base64.b64encode(b"no picture").decode()}, 40003),
                                        ({"image": base64.b64encode(b"x").decode(), "device_ip": "10.9.9.9"}, 40491)])
def test_bad_pictures_are_refused_with_the_contract_codes_and_store_nothing(agent, api, body, code):
    reply = api.post("/SophonFogSys/api/recognize", json=body, headers=HEADERS)
    assert reply.status_code in (400, 404) and reply.json["error"]["code"] == code
    assert len(agent.events) == 0


def test_the_event_store_is_bounded_and_keeps_a_cursor_per_target(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3", bound=5)
    ids = [store.add({"identity_id": str(i), "ext_data": {}}) for i in range(8)]
    assert len(store) == 5 and [e.body["identity_id"] for e in store.pending("a")] == ["3", "4", "5", "6", "7"]
    store.advance("a", ids[5])
    assert [e.body["identity_id"] for e in store.pending("a")] == ["6", "7"]
    assert len(store.pending("b")) == 5
    reopened = EventStore(tmp_path / "events.sqlite3", bound=5)
    assert [e.body["identity_id"] for e in reopened.pending("a")] == ["6", "7"]


class Receiver:
    """A history endpoint that can be told to fail; it records every event it accepted."""

    def __init__(self) -> None:
        from flask import Flask, request

        self.failing = True
        self.received: list[dict] = []
        app = Flask("receiver")

        @app.post("/history")
        def history():
            if self.failing:
                return {"error": "down"}, 503
            batch = request.get_json()
            assert len(batch) <= 100
            self.received.extend(batch)
            return {"data": "ok"}

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.port}/history"


def test_history_waits_while_the_target_fails_then_delivers_everything_once_across_a_restart(tmp_path):
    receiver = Receiver()
    store = EventStore(tmp_path / "events.sqlite3")
    for i in range(250):
        store.add({"identity_id": str(i), "timestamp": i, "score": 0.5, "ext_data": {}})
    stopping = threading.Event()
    target = HistoryTarget(receiver.url)
    uploader = HistoryUploader(store, lambda: [target], lambda: 1, stopping)
    assert uploader.upload(target) == 0 and receiver.received == []
    assert store.backlog(target.key) == 250
    receiver.failing = False
    uploader.retry_at.clear()  # as if the back-off had passed
    # A new uploader over the reopened store: the cursor survived the "restart".
    again = HistoryUploader(EventStore(tmp_path / "events.sqlite3"), lambda: [target], lambda: 1, stopping)
    assert again.upload(target) == 250
    assert [e["identity_id"] for e in receiver.received] == [str(i) for i in range(250)]
    assert again.upload(target) == 0 and len(receiver.received) == 250
    receiver.server.shutdown()


def _frame(photo: Image.Image) -> np.ndarray:
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    photo = photo.convert("RGB")
    photo.thumbnail((600, 440))
    canvas.paste(photo, ((640 - photo.width) // 2, (480 - photo.height) // 2))
    return np.asarray(canvas)[:, :, ::-1]  # OpenCV writes BGR


def test_a_video_yields_one_event_per_person_not_one_per_frame(agent, api):
    import cv2

    video = agent.data_dir / "inputs" / "door.avi"  # video files lie under the input roots
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    blank = np.full((480, 640, 3), 90, np.uint8)
    for name in PEOPLE:
        frame = _frame(Image.open(FACES / "probe" / name / "1.jpg"))
        for _ in range(30):  # three seconds in front of the camera
            writer.write(frame)
        for _ in range(10):  # one second of nobody
            writer.write(blank)
    writer.release()
    reply = api.post("/SophonFogSys/api/devices", headers=HEADERS,
                     json={"ep_ip": "10.0.0.8", "ep_name": "Lobby", "ep_type": 3, "ep_url": str(video), "fps": 5})
    assert reply.status_code == 200, reply.json
    runner = agent.devices.running["10.0.0.8"][1]
    runner.join(120)
    assert not runner.is_alive()
    events = [e.body for e in reversed(agent.events.recent(100))]
    assert [e["identity_id"] for e in events] == PEOPLE
    assert all(e["ext_data"]["ep_id"] == "TESTSNO__10.0.0.8" and e["ext_data"]["device_type"] == "3" for e in events)
    # Video time: the second person appears four seconds after the first.
    assert 3500 <= events[1]["timestamp"] - events[0]["timestamp"] <= 4500


def test_a_watched_folder_recognises_each_dropped_picture_once(agent, api):
    folder = agent.data_dir / "inputs" / "ftp"  # folders lie under the input roots
    reply = api.post("/SophonFogSys/api/devices", headers=HEADERS,
                     json={"ep_ip": "10.0.0.9", "ep_name": "Snapshot cam", "ep_type": 1, "folder": str(folder)})
    assert reply.status_code == 200, reply.json
    deadline = time.monotonic() + 10
    while not (folder / "done").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    for name in ("biden", "rose_leslie"):
        picture = folder / f"{name}.jpg"
        picture.write_bytes((FACES / "probe" / name / "1.jpg").read_bytes())
        past = time.time() - 5
        os.utime(picture, (past, past))  # an upload that finished a while ago
    deadline = time.monotonic() + 30
    while len(agent.events) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)
    assert sorted(e.body["identity_id"] for e in agent.events.recent()) == ["biden", "rose_leslie"]
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["biden.jpg", "rose_leslie.jpg"]


def test_a_recognised_person_opens_the_door_of_their_device_and_a_blacklisted_one_does_not(agent, api):
    api.post("/SophonFogSys/api/devices", json={"ep_ip": "10.0.0.30", "ep_type": 0}, headers=HEADERS)
    api.post("/SophonFogSys/api/GateControllerMode", json={"controller_mode": "opendoor"}, headers=HEADERS)
    photo = base64.b64encode((FACES / "probe" / "obama" / "1.jpg").read_bytes()).decode()
    api.post("/SophonFogSys/api/recognize", headers=HEADERS, json={"image": photo, "device_ip": "10.0.0.30"})
    wait_until(lambda: agent.relay.performed, timeout=5)
    [action] = agent.relay.performed
    assert (action.action_ip, action.action_mode) == ("10.0.0.30", "opendoor")
    person = agent.gallery.get("obama")
    agent.gallery.upsert(Person("obama", person.name, 3, person.groups), agent.gallery.embedding("obama"))
    api.post("/SophonFogSys/api/recognize", headers=HEADERS, json={"image": photo, "device_ip": "10.0.0.30"})
    assert agent.events.recent(1)[0].body["ext_data"]["person_type"] == 3
    # A person who opens the door at another device afterwards: once that action is in, a door
    # opened for the blacklisted one (decided before, on its own thread) would be in too.
    api.post("/SophonFogSys/api/devices", json={"ep_ip": "10.0.0.31", "ep_type": 0}, headers=HEADERS)
    biden = base64.b64encode((FACES / "probe" / "biden" / "1.jpg").read_bytes()).decode()
    api.post("/SophonFogSys/api/recognize", headers=HEADERS, json={"image": biden, "device_ip": "10.0.0.31"})
    wait_until(lambda: any(a.action_ip == "10.0.0.31" for a in agent.relay.performed), timeout=5)
    assert [(a.action_ip, a.action_mode) for a in agent.relay.performed] == [
        ("10.0.0.30", "opendoor"), ("10.0.0.31", "opendoor")]
