"""The box's local API (part 2 §4): permission groups so far."""
import numpy as np
import pytest

from edge_agent.api.app import create_app
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig
from edge_agent.face.gallery import Person

HEADERS = {"X-API-Key": "k"}


@pytest.fixture
def box(tmp_path):
    agent = EdgeBox(BoxConfig(tmp_path / "box", mac="0x0000000000ff"))
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


def test_face_groups_and_their_members(box):
    agent, api = box
    vector = np.zeros(128, dtype=np.float32)
    for identity_id in ("001", "002", "003"):
        agent.gallery.upsert(Person(identity_id, groups=("perm-1",)), vector)
    url = "/SophonFogSys/api/groups"
    created = api.post(url, headers=HEADERS, json={"group_name": "lobby", "description": "大厅"})
    assert created.json == {"data": {"info": {"name": "lobby", "description": "大厅"}}}
    assert api.get(url, headers=HEADERS).json["data"]["groups_list"] == [
        {"name": "default_group", "description": "默认比对用户组"}, {"name": "lobby", "description": "大厅"}]
    added = api.put("/SophonFogSys/api/GroupUsers", headers=HEADERS,
                    json={"group_name": "lobby", "identity_id": ["001", "002"], "with_identity_id": True})
    assert added.json == {"data": {"group_name": "lobby", "identity_id": ["001", "002"]}}
    assert agent.gallery.get("001").groups == ("perm-1", "face:lobby")  # permissions kept
    removed = api.delete("/SophonFogSys/api/GroupUsers", headers=HEADERS,
                         json={"group_name": "lobby", "identity_id": ["001"], "with_identity_id": True})
    assert removed.json["data"]["identity_id"] == ["002"]
    unknown = api.put("/SophonFogSys/api/GroupUsers", headers=HEADERS,
                      json={"group_name": "lobby", "identity_id": ["999"]})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == 40401
    no_group = api.put("/SophonFogSys/api/GroupUsers", headers=HEADERS,
                       json={"group_name": "x", "identity_id": ["001"]})
    assert no_group.json["error"]["code"] == 40491
    kept = api.delete(url, headers=HEADERS, json={"group_name": "lobby"})
    assert "remain" in kept.json["data"]["message"]
    assert "002" in agent.gallery and agent.gallery.get("002").groups == ("perm-1",)
    not_bool = api.delete(url, headers=HEADERS, json={"group_name": "g", "user_recursive_delete": "yes"})
    assert not_bool.json["error"]["code"] == 40005


def test_group_membership_survives_a_restart(box, tmp_path):
    agent, api = box
    agent.gallery.upsert(Person("001"), np.zeros(128, dtype=np.float32))
    api.post("/SophonFogSys/api/groups", headers=HEADERS, json={"group_name": "g", "description": ""})
    api.put("/SophonFogSys/api/GroupUsers", headers=HEADERS, json={"group_name": "g", "identity_id": ["001"]})
    reopened = agent.engine.new_gallery(agent.data_dir / "gallery.sqlite3")
    assert reopened.get("001").groups == ("face:g",)


def photo_b64(identity: str, kind: str = "enroll") -> str:
    import base64

    from .paths import FACES

    return base64.b64encode((FACES / kind / identity / "1.jpg").read_bytes()).decode()


def test_users_create_query_update_delete_with_real_faces(box):
    agent, api = box
    url = "/SophonFogSys/api/users"
    created = api.post(url, headers=HEADERS, json={
        "identity_id": "001", "group_name": "default_group", "reg_photo": photo_b64("obama"),
        "info": {"name": "小王", "type": 1, "permission_ids": ["p-1"], "floor": 3}})
    assert created.status_code == 200, created.json
    info = created.json["data"]["info"]
    image_id = info.pop("image_id")
    assert info == {"name": "小王", "type": 1, "permission_ids": ["p-1"], "floor": 3, "user_id": "001"}
    assert "001" in agent.gallery
    again = api.post(url, headers=HEADERS, json={"identity_id": "001", "group_name": "default_group",
                                                 "reg_photo": photo_b64("obama"), "info": {"name": "x", "type": 1}})
    assert again.json["error"]["code"] == 40011
    api.post(url, headers=HEADERS, json={"identity_id": "002", "group_name": "default_group",
                                         "reg_photo": photo_b64("biden"), "info": {"name": "Joe", "type": 5}})
    one = api.get(url + "?identity_id=001", headers=HEADERS).json["data"]["identities_list"]
    assert one[0]["group_name"] == ["default_group"] and one[0]["reg_photo"]
    assert one[0]["info"]["image_id"] == image_id  # part 2 §4.3.2
    page = api.get(url + "?group_name=default_group&limit=1&skip_num=1", headers=HEADERS).json["data"]
    assert [p["identity_id"] for p in page["identities_list"]] == ["002"] and page["total"] == 2
    before = api.get(url + "?identity_id=002", headers=HEADERS).json["data"]["identities_list"][0]["info"]
    renamed = api.put(url, headers=HEADERS, json={"identity_id": "002", "info": {"name": "Jo", "image_id": "x"}})
    assert renamed.json["data"]["image_id"] == before["image_id"]  # part 2 §4.3.3; same photo, same id
    updated = api.put(url, headers=HEADERS, json={"identity_id": "002", "info": {"name": "Joseph"},
                                                  "reg_photo": photo_b64("biden")})
    assert updated.json["data"]["info"]["name"] == "Joseph" and updated.json["data"]["info"]["type"] == 5
    new_id = updated.json["data"]["image_id"]
    assert isinstance(new_id, str) and new_id not in (before["image_id"], "x")  # a new face, a new id
    assert updated.json["data"]["info"]["image_id"] == new_id
    deleted = api.delete(url, headers=HEADERS, json={"identity_id": "001"})
    assert deleted.json["data"] == {"identity_id": "001", "group_name": ["default_group"],
                                    "message": "have remove from group success"}
    assert api.get(url + "?identity_id=001", headers=HEADERS).json["error"]["code"] == 40401


def test_users_errors(box, tmp_path):
    import base64

    from PIL import Image

    _, api = box
    url = "/SophonFogSys/api/users"
    blank = tmp_path / "blank.jpg"
    Image.new("RGB", (300, 300), (90, 90, 90)).save(blank)
    no_face = api.post(url, headers=HEADERS, json={
        "identity_id": "x", "group_name": "default_group", "reg_photo": base64.b64encode(blank.read_bytes()).decode(),
        "info": {"name": "X", "type": 1}})
    assert no_face.status_code == 400 and no_face.json["error"]["code"] == 40004
    bad_base64 = api.post(url, headers=HEADERS, json={"identity_id": "x", "group_name": "default_group",
                                                      "reg_photo": "%%", "info": {"name": "X", "type": 1}})
    assert bad_base64.json["error"]["code"] == 40003
    unknown_group = api.post(url, headers=HEADERS, json={"identity_id": "x", "group_name": "nope",
                                                         "reg_photo": photo_b64("obama"), "info": {"name": "X"}})
    assert unknown_group.status_code == 404
    assert api.get(url, headers=HEADERS).json["error"]["code"] == 40091
    assert api.post(url, headers=HEADERS, data="nope").json["error"]["code"] == 41591  # not JSON
    assert api.post(url, headers=HEADERS, data="[1]", content_type="application/json").json["error"]["code"] == 40002


def test_settings_round_trip_and_validation(box):
    _, api = box
    base = "/SophonFogSys/api"
    assert api.get(f"{base}/GateControllerMode", headers=HEADERS).json == {"data": {"controller_mode": "opendoor"}}
    assert api.post(f"{base}/GateControllerMode", headers=HEADERS, json={"controller_mode": "alarm"}).json == {
        "data": {"controller_mode": "alarm"}}
    assert api.get(f"{base}/GateControllerMode", headers=HEADERS).json["data"]["controller_mode"] == "alarm"

    events = {"event_server_url": ["http://10.0.0.9:9828/api"], "real_need_reg_pic": False, "content-type": "json"}
    assert api.post(f"{base}/EventServerUrl", headers=HEADERS, json=events).json == {"data": events}
    assert api.get(f"{base}/EventServerUrl", headers=HEADERS).json == {"data": events}
    bad = api.post(f"{base}/EventServerUrl", headers=HEADERS, json={**events, "event_server_url": "not a list"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == 40091

    history = {"history_upload_event_url": ["https://x/api"], "content-type": "form-data", "reported_peroid": 30}
    stored = api.post(f"{base}/HistoryEventUrl", headers=HEADERS, json=history).json["data"]
    assert stored["reported_peroid"] == 30 and stored["history_need_reg_pic"] is True
    assert api.post(f"{base}/HistoryEventUrl", headers=HEADERS,
                    json={**history, "reported_peroid": 0}).status_code == 400

    monitor = {"monitor_server_url": "http://x/status", "content-type": "json", "reported_peroid": 20}
    assert api.post(f"{base}/MonitorServerUrl", headers=HEADERS, json=monitor).json == {"data": "ok"}
    assert api.get(f"{base}/MonitorServerUrl", headers=HEADERS).json["data"]["monitor_server_url"] == "http://x/status"


def test_wipe_data_erases_people_and_groups(box):
    agent, api = box
    api.post("/SophonFogSys/api/groups", headers=HEADERS, json={"group_name": "g", "description": ""})
    agent.gallery.upsert(Person("001", groups=("face:g",)), np.zeros(128, dtype=np.float32))
    assert api.post("/SophonFogSys/api/WipeData", headers=HEADERS,
                    json={"wipe_options": {"users": "yes"}}).status_code == 400
    wiped = api.post("/SophonFogSys/api/WipeData", headers=HEADERS,
                     json={"wipe_options": {"users": True, "events": True}})
    assert wiped.json["data"]["wipe_options"] == {"users": True, "events": True}
    assert wiped.json == {"data": {"wipe_options": {"users": True, "events": True}}}  # part 2 §4.5.4
    assert len(agent.gallery) == 0 and api.get("/SophonFogSys/api/groups", headers=HEADERS).json == {
        "data": {"groups_list": [{"name": "default_group", "description": "默认比对用户组"}]}}


def test_event_action_drives_the_relay_driver(box):
    agent, api = box
    ok = api.put("/SophonFogSys/api/EventAction", headers=HEADERS, json={"action": [
        {"action_ip": "192.168.1.50", "action_port": "5555", "action_mode": "opendoor", "action_duration": 8}]})
    assert ok.json == {"data": {"message": "ok", "action_mode": "opendoor"}}
    [action] = agent.relay.performed
    assert (action.action_ip, action.action_mode, action.action_duration, action.logic_port) == (
        "192.168.1.50", "opendoor", 8, 0)
    bad = api.put("/SophonFogSys/api/EventAction", headers=HEADERS, json={"action": [{"action_ip": "x"}]})
    assert bad.status_code == 400 and bad.json["error"]["code"] == 40091


def test_http_relay_reports_an_unreachable_relay(tmp_path):
    agent = EdgeBox(BoxConfig(tmp_path / "box", mac="0x0000000000fd", relay="http"))  # as `--relay http` starts it
    api = create_app(agent, "k").test_client()
    failed = api.put("/SophonFogSys/api/EventAction", headers=HEADERS, json={"action": [
        {"action_ip": "127.0.0.1", "action_port": "9", "action_mode": "alarm"}]})
    assert failed.status_code == 502 and failed.json["error"]["code"] == 50072


def test_default_group_exists_on_a_fresh_box_and_the_docs_own_example_works(box):
    """Issue 11 item 9: upstream v1.0.2 creates a comparison group by default; part 2 §4.3.1's example."""
    agent, api = box
    groups = api.get("/SophonFogSys/api/groups?group_name=default_group", headers=HEADERS)
    assert groups.json == {"data": {"groups_list": [{"name": "default_group", "description": "默认比对用户组"}]}}
    created = api.post("/SophonFogSys/api/users", headers=HEADERS, json={
        "info": {"name": "小王", "type": 1, "permission_ids": ["f4add9c0-4212-4064-a045-b6185cf00501"]},
        "group_name": "default_group", "identity_id": "001", "reg_photo": photo_b64("obama")})
    assert created.status_code == 200, created.json
    assert created.json["data"]["group_name"] == "default_group" and created.json["data"]["identity_id"] == "001"
    empty = api.post("/SophonFogSys/api/users", headers=HEADERS, json={
        "info": {"name": "x", "type": 1}, "group_name": "", "identity_id": "002", "reg_photo": photo_b64("biden")})
    assert empty.status_code == 400 and empty.json["error"]["code"] == 40012  # GROUP_NAME_ERROR: name empty


def test_only_people_in_a_comparison_group_are_recognised_and_events_name_their_groups(box):
    agent, api = box
    api.post("/SophonFogSys/api/groups", headers=HEADERS, json={"group_name": "vip", "description": ""})
    api.post("/SophonFogSys/api/users", headers=HEADERS, json={
        "info": {"name": "Obama", "type": 5}, "group_name": "default_group,vip", "identity_id": "001",
        "reg_photo": photo_b64("obama")})
    probe = photo_b64("obama", "probe")
    seen = api.post("/SophonFogSys/api/recognize", headers=HEADERS, json={"image": probe})
    assert seen.json["data"]["faces"][0]["identity_id"] == "001"
    assert agent.events.recent(1)[0].body["group_name"] == "default_group,vip"
    for group in ("default_group", "vip"):
        api.delete("/SophonFogSys/api/GroupUsers", headers=HEADERS, json={"group_name": group, "identity_id": ["001"]})
    seen = api.post("/SophonFogSys/api/recognize", headers=HEADERS, json={"image": probe})
    assert seen.json["data"]["faces"][0]["matched"] is False  # in no comparison group: not compared
    assert agent.events.recent(1)[0].body["group_name"] == "default_group"  # a stranger's


def test_people_enrolled_before_comparison_groups_are_put_in_default_group_once(tmp_path):
    from edge_agent.face.gallery import Gallery
    from edge_agent.store import Store

    data = tmp_path / "old-box"
    data.mkdir()
    Gallery(data / "gallery.sqlite3").upsert(Person("old", groups=("0",)), np.ones(128, dtype=np.float32))
    Store(data / "agent.sqlite3").set("dev_sno", "OLD")
    agent = EdgeBox(BoxConfig(data, mac="0x0000000000fe"))
    assert agent.gallery.get("old").groups == ("0", "face:default_group")
    agent.gallery.set_groups("old", ("0",))  # taken out by hand afterwards: stays out
    assert EdgeBox(BoxConfig(data, mac="0x0000000000fe")).gallery.get("old").groups == ("0",)


def test_local_wipe_data_honours_each_option(box):
    """Issue 11 item 15: one implementation with MQ wipe_data (tests/test_edge_stock_cloud.py)."""
    agent, api = box
    agent.gallery.upsert(Person("001", groups=("face:default_group",)), np.zeros(128, dtype=np.float32))
    agent.events.add({"identity_id": "001", "ext_data": {}})
    api.post("/SophonFogSys/api/groups", headers=HEADERS, json={"group_name": "g", "description": ""})
    only_events = api.post("/SophonFogSys/api/WipeData", headers=HEADERS,
                           json={"wipe_options": {"users": False, "events": True}})
    assert only_events.json == {"data": {"wipe_options": {"users": False, "events": True}}}
    assert len(agent.events) == 0 and "001" in agent.gallery
    assert len(api.get("/SophonFogSys/api/groups", headers=HEADERS).json["data"]["groups_list"]) == 2
    agent.events.add({"identity_id": "001", "ext_data": {}})
    api.post("/SophonFogSys/api/WipeData", headers=HEADERS, json={"wipe_options": {"users": True, "events": False}})
    assert len(agent.events) == 1 and len(agent.gallery) == 0


def test_settings_accept_form_data_where_part_2_says_so(box):
    """Issue 11 item 11: part 2 §4.4.1, §4.4.4, §4.4.7, §4.5.1 take "JSON格式，form-data格式"."""
    _, api = box
    base = "/SophonFogSys/api"
    mode = api.post(f"{base}/GateControllerMode", headers=HEADERS, data={"controller_mode": "alarm"})
    assert mode.json == {"data": {"controller_mode": "alarm"}}
    events = api.post(f"{base}/EventServerUrl", headers=HEADERS, content_type="multipart/form-data", data={
        "event_server_url": ["http://10.0.0.9:9828/a", "http://10.0.0.10:9828/b"], "real_need_reg_pic": "false",
        "content-type": "form-data"})
    assert events.json == {"data": {"event_server_url": ["http://10.0.0.9:9828/a", "http://10.0.0.10:9828/b"],
                                    "real_need_reg_pic": False, "content-type": "form-data"}}
    history = api.post(f"{base}/HistoryEventUrl", headers=HEADERS, data={
        "history_upload_event_url": '["https://x/api"]', "history_need_reg_pic": "true", "content-type": "json",
        "reported_peroid": "30"})
    assert history.status_code == 200, history.json
    assert api.get(f"{base}/HistoryEventUrl", headers=HEADERS).json == {"data": {
        "history_upload_event_url": ["https://x/api"], "history_need_reg_pic": True, "content-type": "json",
        "reported_peroid": 30}}
    monitor = api.post(f"{base}/MonitorServerUrl", headers=HEADERS, data={
        "monitor_server_url": "http://x/status", "content-type": "json", "reported_peroid": "15"})
    assert monitor.json == {"data": "ok"}
    assert api.get(f"{base}/MonitorServerUrl", headers=HEADERS).json == {
        "data": {"monitor_server_url": "http://x/status", "reported_peroid": 15}}
    bad_flag = api.post(f"{base}/EventServerUrl", headers=HEADERS, data={
        "event_server_url": "http://10.0.0.9/a", "real_need_reg_pic": "maybe", "content-type": "json"})
    assert bad_flag.json["error"]["code"] == 40005
    bad_period = api.post(f"{base}/MonitorServerUrl", headers=HEADERS, data={
        "monitor_server_url": "http://x/status", "content-type": "json", "reported_peroid": "soon"})
    assert bad_period.json["error"]["code"] == 40091


@pytest.mark.parametrize("method, path", [
    ("post", "/SophonFogSys/api/users"), ("post", "/SophonFogSys/api/WipeData"),
    ("post", "/SophonFogSys/api/EventServerUrl"), ("post", "/SophonFogSys/api/MonitorServerUrl"),
    ("post", "/SophonFogSys/api/groups"), ("put", "/SophonFogSys/api/EventAction"),
    ("put", "/SophonMQ/api/DevSno"), ("put", "/SophonMQ/api/LoginUrl")])
def test_a_text_plain_body_answers_the_content_type_error(box, method, path):
    """Upstream 01 §3: 41591 CONTENT_TYPE_ERROR, not 40002 EMPTY_REQUEST_JSON."""
    _, api = box
    sent = getattr(api, method)(path, headers=HEADERS, data='{"wipe_options": {"users": true, "events": true}}',
                                content_type="text/plain")
    assert sent.status_code == 415 and sent.json["error"] == {
        "code": 41591, "message": sent.json["error"]["message"], "status": "CONTENT_TYPE_ERROR"}
    empty = getattr(api, method)(path, headers=HEADERS, data="", content_type="application/json")
    assert empty.status_code == 400 and empty.json["error"]["code"] in (40002, 40091)


def test_json_only_endpoints_refuse_form_data_with_the_content_type_error(box):
    _, api = box
    sent = api.post("/SophonFogSys/api/users", headers=HEADERS, data={"identity_id": "1"})
    assert sent.status_code == 415 and sent.json["error"]["code"] == 41591
    missing = api.post("/SophonFogSys/api/users", headers=HEADERS, data="", content_type="application/json")
    assert missing.json["error"]["code"] == 40002


def test_a_face_too_small_answers_40009_on_local_enrolment(box):
    """Issue 11 item 14, through part 2 §4.3.1."""
    from .helpers import b64, tiny_face_photo

    _, api = box
    sent = api.post("/SophonFogSys/api/users", headers=HEADERS, json={
        "identity_id": "tiny", "group_name": "default_group", "reg_photo": b64(tiny_face_photo()),
        "info": {"name": "Tiny", "type": 1}})
    assert sent.status_code == 400 and sent.json["error"]["code"] == 40009
