"""OpenCV is the `[video]` extra: only a video device needs it (issue 14). A box without it
runs, takes pictures and folders, and refuses a video device when it is added (40091)."""
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.api.app import create_app
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig
from edge_agent.sources import NO_OPENCV

REPO = Path(__file__).resolve().parents[1]
KEY = "box-key"
HEADERS = {"X-API-Key": KEY}
DEVICES = "/SophonFogSys/api/devices"


@pytest.fixture
def api_without_opencv(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # `import cv2` raises ImportError, as on a box without it
    agent = EdgeBox(BoxConfig(tmp_path / "box", dev_sno="NOCV2SNO20261128094439",
                              login_url="http://platform.example/box/login", mac="0x0000aabbccee"))
    yield create_app(agent, KEY).test_client(), agent
    agent.stop(5)


def test_a_video_device_is_refused_with_a_parameter_error_naming_the_extra(api_without_opencv):
    api, _ = api_without_opencv
    reply = api.post(DEVICES, headers=HEADERS, json={"ep_ip": "10.0.0.8", "ep_type": 3, "ep_url": "rtsp://cam/1"})
    assert reply.status_code == 400
    assert reply.json == {"error": {"code": 40091, "status": "PARAM_ERROR", "message": NO_OPENCV}}
    assert api.get(DEVICES, headers=HEADERS).json == {"data": {"devices": []}}


def test_a_folder_device_needs_no_opencv(api_without_opencv):
    api, agent = api_without_opencv
    folder = agent.input_roots.roots[0] / "cam"
    folder.mkdir(parents=True)
    reply = api.post(DEVICES, headers=HEADERS, json={"ep_ip": "10.0.0.9", "ep_type": 1, "folder": "cam"})
    assert reply.status_code == 200, reply.json
    assert reply.json["data"]["folder"] == str(folder.resolve())


def test_the_agent_and_its_api_import_without_opencv():
    code = ("import sys; sys.modules['cv2'] = None\n"
            "import edge_agent.__main__, edge_agent.box, edge_agent.api.app, edge_agent.sources\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
