"""The box's local API (part 2 §4): permission groups so far."""
import numpy as np
import pytest

from edge_agent.agent import Agent
from edge_agent.api import create_app
from edge_agent.face.gallery import Person

HEADERS = {"X-API-Key": "k"}


@pytest.fixture
def box(tmp_path):
    agent = Agent(tmp_path / "box", mac="0x0000000000ff")
    return agent, create_app(agent, "k").test_client()


def test_permission_groups_crud(box):
    _, api = box
    created = api.post("/SophonFogSys/api/permissions", headers=HEADERS,
                       json={"permission_name": "测试组", "description": "", "info": {"floor": 3}})
    assert created.json == {"data": {"info": {"name": "测试组", "description": ""}}}
    again = api.post("/SophonFogSys/api/permissions", headers=HEADERS,
                     json={"permission_name": "测试组", "description": "x"})
    assert again.status_code == 400 and again.json["error"]["code"] == 40012
    listed = api.get("/SophonFogSys/api/permissions", headers=HEADERS).json
    assert listed == {"data": {"permissions_list": [{"name": "测试组", "description": "", "floor": 3}]}}
    updated = api.put("/SophonFogSys/api/permissions", headers=HEADERS,
                      json={"permission_name": "测试组", "description": "lab"})
    assert updated.json["data"]["info"]["description"] == "lab"
    one = api.get("/SophonFogSys/api/permissions?permission_name=测试组", headers=HEADERS).json
    assert one["data"]["permissions_list"][0]["description"] == "lab"
    missing = api.get("/SophonFogSys/api/permissions?permission_name=nope", headers=HEADERS)
    assert missing.status_code == 404 and missing.json["error"]["code"] == 40491


@pytest.mark.parametrize("body", [{}, {"permission_name": "x"}, {"permission_name": 3, "description": ""},
                                  {"permission_name": "", "description": ""}])
def test_bad_permission_bodies(box, body):
    _, api = box
    response = api.post("/SophonFogSys/api/permissions", headers=HEADERS, json=body)
    assert response.status_code == 400 and response.json["error"]["code"] in (40091, 40012)


def test_recursive_delete_removes_the_group_members(box):
    agent, api = box
    api.post("/SophonFogSys/api/permissions", headers=HEADERS, json={"permission_name": "g", "description": ""})
    vector = np.zeros(128, dtype=np.float32)
    agent.gallery.upsert(Person("in", groups=("g",)), vector)
    agent.gallery.upsert(Person("out", groups=("h",)), vector)
    deleted = api.delete("/SophonFogSys/api/permissions", headers=HEADERS,
                         json={"permission_name": "g", "user_recursive_delete": True})
    assert deleted.json["data"]["permission_name"] == "g" and "1 user" in deleted.json["data"]["message"]
    assert "in" not in agent.gallery and "out" in agent.gallery
    gone = api.delete("/SophonFogSys/api/permissions", headers=HEADERS, json={"permission_name": "g"})
    assert gone.status_code == 404
