"""The box's local API against someone on its LAN (issue 13, item 11).

/health without the key says only that the agent lives (its full report names the
dev_sno and the login URL: with the MAC, all it takes to log in as the box); the key
travels in the X-API-Key header, never in a URL; a device's folder or video file stays
under the input roots and its stream is a camera's URL scheme. The agent's real HTTP
API is driven through Flask's test client as tests/test_edge_local_api.py does, and
once as a process started by `python -m edge_agent run --input-root`.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from edge_agent.api.app import create_app
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig
from edge_agent.face.gallery import Person

from ..paths import FACES

KEY = "box-key"
HEADERS = {"X-API-Key": KEY}
DEV_SNO = "SECRETSNO20261128094439"
LOGIN_URL = "http://platform.example:8000/box/login"
MAC = "0x0000aabbccdd"
DEVICES = "/SophonFogSys/api/devices"


@pytest.fixture
def agent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a folder resolved against the working directory would land here
    agent = EdgeBox(BoxConfig(tmp_path / "box", dev_sno=DEV_SNO, login_url=LOGIN_URL, mac=MAC))
    face = agent.engine.enrol((FACES / "enroll" / "obama" / "1.jpg").read_bytes())
    agent.gallery.upsert(Person("obama", "Obama", 1, ("0", "face:default_group")), face.embedding)
    yield agent
    agent.stop(5)


@pytest.fixture
def api(agent):
    return create_app(agent, KEY).test_client()


def _refused(reply, http_status: int, code: int, status: str) -> None:
    assert reply.status_code == http_status, reply.json
    assert set(reply.json) == {"error"} and set(reply.json["error"]) == {"code", "message", "status"}
    assert (reply.json["error"]["code"], reply.json["error"]["status"]) == (code, status)
    assert reply.json["error"]["message"]


def _picture(path: Path) -> Path:
    """A face picture whose upload finished a while ago: a watcher would take it at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((FACES / "probe" / "obama" / "1.jpg").read_bytes())
    past = time.time() - 5
    os.utime(path, (past, past))
    return path


def _wait(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


# --- /health -----------------------------------------------------------------------------

def test_health_without_a_key_is_liveness_and_names_neither_box_nor_platform(api):
    reply = api.get("/health")
    assert reply.status_code == 200 and reply.json == {"status": "ok"}
    text = reply.get_data(as_text=True).lower()
    for secret in (DEV_SNO, LOGIN_URL, "platform.example", MAC, "0000aabbccdd", "00:00:aa:bb:cc:dd"):
        assert secret.lower() not in text


def test_health_with_the_key_is_the_full_report_and_a_wrong_key_is_refused(api):
    reply = api.get("/health", headers=HEADERS)
    assert reply.status_code == 200
    health = reply.json
    assert health["status"] == "ok" and health["dev_sno"] == DEV_SNO and health["login_url"] == LOGIN_URL
    assert health["broker"] == "disconnected" and health["gallery_size"] == 1 and health["commands_handled"] == 0
    _refused(api.get("/health", headers={"X-API-Key": "wrong"}), 401, 40000, "BAD_REQUEST")


def test_health_stays_whole_when_the_api_is_left_open(agent):
    open_api = create_app(agent, None).test_client()  # --no-api-key: upstream's open box
    assert open_api.get("/health").json["dev_sno"] == DEV_SNO


# --- the key: a header, never a URL --------------------------------------------------------

@pytest.mark.parametrize("path", ["/SophonMQ/api/DevSno", "/SophonFogSys/api/devices", "/health"])
def test_the_key_in_the_url_is_refused_and_the_header_works(api, path):
    _refused(api.get(f"{path}?api_key={KEY}"), 401, 40000, "BAD_REQUEST")
    _refused(api.get(f"{path}?api_key={KEY}", headers=HEADERS), 401, 40000, "BAD_REQUEST")
    assert api.get(path, headers=HEADERS).status_code == 200


def test_a_key_that_is_not_ascii_is_refused_not_an_error(api):
    _refused(api.get("/SophonMQ/api/DevSno", headers={"X-API-Key": "clé"}), 401, 40000, "BAD_REQUEST")


# --- device folders -------------------------------------------------------------------------

def test_folders_outside_the_input_roots_are_refused_and_nothing_there_is_read_or_moved(agent, api, tmp_path):
    root = agent.data_dir / "inputs"
    outside = tmp_path / "elsewhere"
    victim = _picture(outside / "private.jpg")
    before = victim.stat().st_mtime
    (root / "link").parent.mkdir(parents=True, exist_ok=True)
    (root / "link").symlink_to(outside, target_is_directory=True)
    for folder in (str(outside), "../elsewhere", "../../elsewhere", f"{root}/../../elsewhere", "link",
                   str(root / "link"), "/etc", "/"):
        reply = api.post(DEVICES, headers=HEADERS, json={"ep_ip": "10.0.0.9", "ep_type": 1, "folder": folder})
        _refused(reply, 400, 40091, "PARAM_ERROR")
        assert "outside the input roots" in reply.json["error"]["message"]
    assert api.get(DEVICES, headers=HEADERS).json == {"data": {"devices": []}}
    time.sleep(2.0)  # a watcher would have taken the picture within a second
    assert victim.exists() and victim.stat().st_mtime == before
    assert sorted(p.name for p in outside.iterdir()) == ["private.jpg"] and len(agent.events) == 0


def test_a_device_stored_with_an_outside_folder_is_not_started(agent, tmp_path):
    """One saved before this check (or by an older agent) is checked again when the agent starts."""
    outside = tmp_path / "elsewhere"
    victim = _picture(outside / "private.jpg")
    agent.store.set("devices", {"10.0.0.9": {"ip": "10.0.0.9", "folder": str(outside)}})
    agent.devices.start_all()
    assert "10.0.0.9" not in agent.devices.running
    time.sleep(1.5)
    assert victim.exists() and not (outside / "done").exists()


def test_a_relative_folder_lands_under_the_first_root_and_its_pictures_are_taken(agent, api, tmp_path):
    reply = api.post(DEVICES, headers=HEADERS, json={"ep_ip": "10.0.0.9", "ep_type": 1, "folder": "cam1"})
    assert reply.status_code == 200, reply.json
    folder = (agent.data_dir / "inputs" / "cam1").resolve()
    assert reply.json["data"]["folder"] == str(folder)
    assert _wait(lambda: (folder / "done").is_dir(), 10)
    _picture(folder / "obama.jpg")
    assert _wait(lambda: (folder / "done" / "obama.jpg").exists())
    assert [e.body["identity_id"] for e in agent.events.recent()] == ["obama"]
    assert not (tmp_path / "cam1").exists()  # not resolved against the working directory


def test_symlinks_put_in_a_watched_folder_are_not_followed_out(agent, api, tmp_path):
    outside = tmp_path / "elsewhere"
    victim = _picture(outside / "private.jpg")
    reply = api.post(DEVICES, headers=HEADERS, json={"ep_ip": "10.0.0.9", "ep_type": 1, "folder": "cam1"})
    assert reply.status_code == 200, reply.json
    folder = Path(reply.json["data"]["folder"])
    assert _wait(lambda: (folder / "done").is_dir(), 10)
    (folder / "private.jpg").symlink_to(victim)  # a picture that is a link out: neither read nor moved
    time.sleep(2.0)
    assert (folder / "private.jpg").is_symlink() and victim.exists() and len(agent.events) == 0
    # The folder itself swapped for a link out: the watcher stops rather than follow it.
    (folder / "private.jpg").unlink()
    os.rename(folder, tmp_path / "old-cam1")
    folder.symlink_to(outside, target_is_directory=True)
    runner = agent.devices.running["10.0.0.9"][1]
    runner.join(10)
    assert not runner.is_alive()
    assert sorted(p.name for p in outside.iterdir()) == ["private.jpg"] and len(agent.events) == 0


# --- stream URLs ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["file:///etc/passwd", "FILE:/etc/passwd", "concat:/etc/passwd|/etc/hosts",
                                 "ftp://10.0.0.9/video.mp4", "gopher://10.0.0.9/", "data:text/plain,x",
                                 "rtsp:///no-host", "rtsp://10.0.0.9/ch1 ! filesrc location=/etc/passwd",
                                 "/etc/passwd", "../../../etc/passwd"])
def test_stream_urls_other_than_a_cameras_are_refused(api, url):
    reply = api.post(DEVICES, headers=HEADERS, json={"ep_ip": "10.0.0.8", "ep_type": 3, "ep_url": url})
    _refused(reply, 400, 40091, "PARAM_ERROR")
    assert api.get(DEVICES, headers=HEADERS).json == {"data": {"devices": []}}


@pytest.mark.parametrize("url", ["rtsp://127.0.0.1:1/ch1", "rtsps://127.0.0.1:1/ch1", "http://127.0.0.1:1/mjpg",
                                 "https://127.0.0.1:1/mjpg"])
def test_a_cameras_stream_url_is_accepted_as_it_is(api, url):
    reply = api.post(DEVICES, headers=HEADERS, json={"ep_ip": "10.0.0.8", "ep_type": 3, "ep_url": url})
    assert reply.status_code == 200, reply.json
    assert reply.json["data"]["ep_url"] == url


# --- the option, in the real process ----------------------------------------------------------

def test_input_root_option_of_the_agent_process(tmp_path):
    data_dir, first, second = tmp_path / "box", tmp_path / "ftp", tmp_path / "nas"
    log = tmp_path / "agent.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "edge_agent", "run", "--data-dir", str(data_dir),
                                 "--port", "0", "--host", "127.0.0.1", "--input-root", str(first),
                                 "--input-root", str(second)], stdout=out, stderr=subprocess.STDOUT)
    try:
        assert _wait(lambda: re.search(r"box API on http://127\.0\.0\.1:(\d+)", log.read_text()), 120), \
            log.read_text()
        base = "http://127.0.0.1:" + re.search(r"box API on http://127\.0\.0\.1:(\d+)", log.read_text())[1]
        headers = {"X-API-Key": (data_dir / "api_key").read_text().strip()}
        assert requests.get(base + "/health", timeout=5).json() == {"status": "ok"}

        def add(folder: str) -> requests.Response:
            return requests.post(base + DEVICES, headers=headers, timeout=10,
                                 json={"ep_ip": "10.0.0.9", "ep_type": 1, "folder": folder})

        assert add("cam").json()["data"]["folder"] == str((first / "cam").resolve())
        assert add(str(second / "cam")).status_code == 200
        refused = add(str(data_dir / "inputs" / "cam"))  # the default root gives way to the ones named
        assert refused.status_code == 400 and refused.json()["error"]["code"] == 40091
    finally:
        proc.terminate()
        proc.wait(30)
