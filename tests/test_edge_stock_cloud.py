"""The edge agent as a cloud written from the upstream documents sees it (issue 11, items 8–16).

A stock cloud (tests/edge_cloud.py) answers the login with the real broker, publishes
commands and reads results from its upload queue; faces go through the real models.
Each check names the upstream section it follows.
"""
import io
import time
import uuid

import pytest
from PIL import Image

from edge_agent.api.app import create_app
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig

from .edge_cloud import Reply, StockCloud, wait_until
from .helpers import b64, tiny_face_photo
from .paths import FACES

FIQA_METRICS = {"face_size", "headpose", "occlusion", "clarity", "mask", "partial", "brightness"}


def photo(identity: str, kind: str = "enroll") -> bytes:
    return (FACES / kind / identity / "1.jpg").read_bytes()


def blank_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (120, 120, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def command(method: str, extend_params: dict | None = None, **fields) -> dict:
    return {"method": method, "messageId": str(uuid.uuid4()), "extend_params": extend_params or {}, **fields}


def person(identity_id: str, name: str, **picture) -> dict:
    return {"identity_id": identity_id, "register_type": 1, "info": {"name": name, "type": 1}, **picture}


@pytest.fixture
def cloud():
    cloud = StockCloud()
    yield cloud
    cloud.close()


@pytest.fixture
def start_agent(cloud, tmp_path):
    started = []

    def start(**kwargs) -> EdgeBox:
        agent = EdgeBox(BoxConfig(tmp_path / f"box{len(started)}", dev_sno="SNO-STOCK", login_url=cloud.url + "/login",
                                  mac="0x0000000000aa", **kwargs))
        started.append(agent)
        agent.start()
        wait_until(lambda: agent.health.broker == "connected")
        return agent

    yield start
    for agent in started:
        agent.stop(10)


# --- item 8: partial success ---------------------------------------------------------
def test_add_users_plus_with_some_bad_photos_is_a_success_listing_the_failures(cloud, start_agent):
    start_agent()
    sent = command("add_users_plus", user_info_list=[
        person("666", "fubing", reg_photo=b64(photo("obama"))),
        person("888", "wuyanzu", reg_photo=b64(blank_photo())),
    ])
    cloud.publish(sent)
    [result] = cloud.results()
    # upstream 01 §5.1.1: success true, code 0, failures listed per person
    assert (result["success"], result["code"]) == (True, 0)
    assert result["messageKey"] == "add_users_plus" and result["messageId"] == sent["messageId"]
    assert result["dev_sno"] == "SNO-STOCK" and isinstance(result["message"], str)
    assert [u["userid"] for u in result["result"]["success_users"]] == ["666"]
    assert result["result"]["success_users"][0]["code"] == 0
    [failed] = result["result"]["failed_users"]
    assert (failed["userid"], failed["username"], failed["code"]) == ("888", "wuyanzu", 40004)


def test_add_users_plus_whose_details_cannot_be_fetched_at_all_is_a_failed_command(cloud, start_agent):
    cloud.routes["/getSendPerson"] = lambda seen: Reply(500, {"error": {"code": 1, "message": "down", "status": "x"}})
    start_agent()
    cloud.publish(command("add_users_plus", {"path": "/getSendPerson"}, userid_list=["1", "2"]))
    [result] = cloud.results()
    assert (result["success"], result["code"]) == (False, 50073)  # upstream 01 §3 REMOTE_SERVER_FAILED
    assert sorted(u["userid"] for u in result["result"]["failed_users"]) == ["1", "2"]
    assert result["result"]["success_users"] == []


# --- item 9: default_group -------------------------------------------------------------
def test_people_sent_by_the_cloud_are_in_default_group_and_events_name_it_truly(cloud, start_agent):
    agent = start_agent()
    api = create_app(agent, None).test_client()
    cloud.publish(command("add_users_plus", user_info_list=[person("666", "fubing", reg_photo=b64(photo("obama")))]))
    assert cloud.results()[0]["success"] is True
    # upstream 01 README v1.0.2: a comparison group is created by default when users are sent
    groups = api.get("/SophonFogSys/api/groups").json["data"]["groups_list"]
    assert "default_group" in [g["name"] for g in groups]
    members = api.get("/SophonFogSys/api/users?group_name=default_group").json["data"]["identities_list"]
    assert [m["identity_id"] for m in members] == ["666"] and members[0]["group_name"] == ["default_group"]
    seen = api.post("/SophonFogSys/api/recognize", json={"image": b64(photo("obama", "probe"))})
    assert seen.json["data"]["faces"][0]["identity_id"] == "666"
    event = agent.events.recent(1)[0].wire()
    assert event["group_name"] == "default_group"  # part 2 §4.4.9: the group compared against


# --- item 10: imgServerAddr with a path prefix -------------------------------------------------
def test_relative_photo_urls_keep_the_image_servers_path_prefix_and_their_query(cloud, start_agent):
    cloud.login_extra["imgServerAddr"] = cloud.url + "/imgsrv"
    cloud.routes["/imgsrv/photos/666.jpg"] = lambda seen: Reply(body=photo("obama"), content_type="image/jpeg")
    start_agent()
    cloud.publish(command("add_users_plus", user_info_list=[
        person("666", "fubing", relative_pic_url="/photos/666.jpg?X-Sig=ab/cd~ef")]))
    [result] = cloud.results()
    assert result["result"]["success_users"][0]["userid"] == "666", result
    [fetch] = cloud.requests_to("/imgsrv/photos/666.jpg")
    assert fetch.raw_query.startswith("X-Sig=ab/cd~ef&")  # the photo URL's own query, byte for byte
    assert fetch.query["token"] == ["token-1"] and fetch.query["dev_sno"] == ["SNO-STOCK"]



@pytest.mark.parametrize("base, relative, url", [
    ("http://h/imgsrv", "/a.jpg", "http://h/imgsrv/a.jpg"),
    ("http://h:81/imgsrv/", "/a/b.jpg?v=2", "http://h:81/imgsrv/a/b.jpg?v=2"),
    ("http://h", "/a.jpg", "http://h/a.jpg"),
    ("https://h/x?k=1", "/a.jpg?v=2", "https://h/x/a.jpg?v=2&k=1"),
    ("http://h/imgsrv", "https://cdn/a.jpg", "https://cdn/a.jpg"),
])
def test_photo_urls_join_the_image_server_base(base, relative, url):
    from aibox_contract.urls import join_base

    assert join_base(relative, base) == url

# --- item 12: MonitorServerUrl's reported_peroid -------------------------------------------------
def test_local_monitor_server_gets_status_every_reported_peroid(cloud, tmp_path):
    cloud.routes["/SophonFogStatus"] = lambda seen: Reply(body={"data": "ok"})
    agent = EdgeBox(BoxConfig(tmp_path / "standalone", mac="0x0000000000ab"))  # a box not connected to any cloud
    api = create_app(agent, None).test_client()
    setting = {"monitor_server_url": cloud.url + "/SophonFogStatus", "content-type": "json", "reported_peroid": 1}
    assert api.post("/SophonFogSys/api/MonitorServerUrl", json=setting).json == {"data": "ok"}
    agent.start()
    try:
        wait_until(lambda: len(cloud.requests_to("/SophonFogStatus")) >= 4, timeout=8)
    finally:
        agent.stop(10)
    reports = [s.json() for s in cloud.requests_to("/SophonFogStatus")]
    assert reports[0]["gateway_status"] == "online" and reports[0]["sub_devices"] == []  # part 2 §4.5.3


def test_local_history_server_gets_events_every_reported_peroid(cloud, tmp_path):
    """HistoryEventUrl's reported_peroid (part 2 §4.4.7) likewise, instead of the 5 s default."""
    cloud.routes["/SophonFogHistoryEvent"] = lambda seen: Reply(body={"data": "ok"})
    agent = EdgeBox(BoxConfig(tmp_path / "standalone", mac="0x0000000000ac"))
    api = create_app(agent, None).test_client()
    setting = {"history_upload_event_url": [cloud.url + "/SophonFogHistoryEvent"], "content-type": "json",
               "reported_peroid": 1}
    assert api.post("/SophonFogSys/api/HistoryEventUrl", json=setting).status_code == 200
    agent.events.add({"identity_id": "a", "timestamp": 1, "score": 0.5, "ext_data": {}})
    agent.start()
    try:
        wait_until(lambda: cloud.requests_to("/SophonFogHistoryEvent"), timeout=5)
        agent.events.add({"identity_id": "b", "timestamp": 2, "score": 0.5, "ext_data": {}})
        batches = wait_until(lambda: len(cloud.requests_to("/SophonFogHistoryEvent")) >= 2
                             and cloud.requests_to("/SophonFogHistoryEvent"), timeout=2.5)
    finally:
        agent.stop(10)
    assert [[e["identity_id"] for e in b.json()] for b in batches[:2]] == [["a"], ["b"]]

# --- item 13: types as the documents give them ---------------------------------------------------
def test_fiqa_result_has_the_documented_types(cloud, start_agent):
    start_agent()
    cloud.publish(command("fiqa", info={"image_base64_str": b64(photo("obama")), "fiqa_level": "high"}))
    [result] = cloud.results()
    [face] = result["result"]["data"]
    info = face["info"]  # upstream 01 §5.3
    assert isinstance(info["occlusion"], list) and len(info["occlusion"]) == 3
    assert all(isinstance(v, bool) for v in info["occlusion"])
    assert isinstance(info["mask"], float) and isinstance(info["partial"], bool)
    assert isinstance(info["face_size"], int | float) and set(info["headpose"]) == {
        "pitch_angle", "roll_angle", "yaw_angle"}
    # What the box cannot assess is said in the documented extra field, never in success or fails.
    assert face["unassessed"] == ["occlusion", "mask"]
    assert set(face["success"]) | set(face["fails"]) | set(face["unassessed"]) == FIQA_METRICS
    assert isinstance(face["bbox"], list) and face["fiqa_result"] is True


def test_device_operate_events_and_status_reports_have_the_documented_types(cloud, start_agent, tmp_path):
    cloud.login_extra.update(deviceInfoAddr="/brain/service/device/operate", deviceMonitorAddr="/status",
                             deviceMonitorPeriod=1)
    cloud.routes["/brain/service/device/operate"] = lambda seen: Reply(body={"status": 0, "message": "成功",
                                                                             "data": None})
    cloud.routes["/status"] = lambda seen: Reply(body={"data": "ok"})
    agent = start_agent()
    api = create_app(agent, None).test_client()
    added = api.post("/SophonFogSys/api/devices", json={"ep_ip": "10.0.0.7", "ep_name": "Door", "ep_type": 4,
                                                        "folder": "ftp"})  # under <data dir>/inputs
    assert added.status_code == 200, added.json
    [report] = wait_until(lambda: cloud.requests_to("/brain/service/device/operate"))
    body = report.json()
    assert body["actionType"] == 1
    info = body["deviceInfo"]  # upstream 01 §7.2
    assert info["epType"] == "4" and info["epId"] == "SNO-STOCK__10.0.0.7" and info["devSno"] == "SNO-STOCK"
    assert info["direction"] == 0 and info["isMonitor"] is True
    assert isinstance(info["lastMonitorTime"], int) and abs(info["lastMonitorTime"] - time.time()) < 60
    assert info["epStatus"] == {"online": "1", "offline": "2"}[added.json["data"]["ep_status"]]
    for key in ("memo", "epName", "epIp", "epVersion", "epGroupName", "epStreamUrl", "privilegeGroupKey"):
        assert isinstance(info[key], str), key
    assert report.query["token"] == ["token-1"]

    def with_devices():
        return [s.json() for s in cloud.requests_to("/status") if s.json()["sub_devices"]]

    status = wait_until(with_devices)[0]
    [device] = status["sub_devices"]  # part 2 §4.5.3
    assert device["ep_type"] == "4" and device["ep_status"] in ("online", "offline")
    assert status["gateway_status"] == "online" and status["dev_sno"] == "SNO-STOCK"



def test_config_endpoints_and_users_replies_have_the_documented_shapes(cloud, start_agent):
    agent = start_agent()
    api = create_app(agent, None).test_client()
    # upstream 01 §8.2.1: {"data": {"response": ...}}; §8.1.1 says dev_sno, its §8 overview response
    assert api.get("/SophonMQ/api/LoginUrl").json == {"data": {"response": cloud.url + "/login"}}
    assert api.get("/SophonMQ/api/DevSno").json == {"data": {"dev_sno": "SNO-STOCK", "response": "SNO-STOCK"}}
    cloud.publish(command("add_users_plus", user_info_list=[person("666", "fubing", reg_photo=b64(photo("obama")))]))
    cloud.results()
    [entry] = api.get("/SophonFogSys/api/users?identity_id=666").json["data"]["identities_list"]
    assert isinstance(entry["info"]["image_id"], str) and entry["info"]["image_id"]  # part 2 §4.3.2
    renamed = api.put("/SophonFogSys/api/users", json={"identity_id": "666", "info": {"name": "fu"}})
    assert renamed.json["data"]["image_id"] == entry["info"]["image_id"]  # part 2 §4.3.3

# --- item 14: the documented codes -------------------------------------------------------------
def test_details_that_are_not_json_answer_50074_and_a_tiny_face_40009(cloud, start_agent):
    cloud.routes["/getSendPerson"] = lambda seen: Reply(200, "<html>maintenance</html>", "text/html")
    start_agent()
    cloud.publish(command("add_users_plus", {"path": "/getSendPerson"}, userid_list=["1"]))
    [result] = cloud.results()
    assert result["result"]["failed_users"][0]["code"] == 50074  # REMOTE_DATA_FAILED: the data is bad
    assert result["code"] == 50074 and result["success"] is False
    cloud.publish(command("add_users_plus", user_info_list=[person("tiny", "Tiny", reg_photo=b64(tiny_face_photo()))]))
    [result] = cloud.results()
    assert result["result"]["failed_users"][0]["code"] == 40009  # ENROLL_FACE_SIZE_NOT_ENOUGH_ERROR


# --- item 15: wipe_data honours wipe_options ---------------------------------------------------
def test_wipe_data_erases_exactly_what_its_options_say(cloud, start_agent):
    agent = start_agent()
    api = create_app(agent, None).test_client()
    cloud.publish(command("add_users_plus", user_info_list=[person("666", "fubing", reg_photo=b64(photo("obama")))]))
    cloud.results()
    api.post("/SophonFogSys/api/groups", json={"group_name": "lobby", "description": ""})
    api.post("/SophonFogSys/api/permissions", json={"permission_name": "p1", "description": ""})
    api.post("/SophonFogSys/api/recognize", json={"image": b64(photo("obama", "probe"))})
    assert len(agent.events) == 1

    cloud.publish(command("wipe_data", wipe_options={"users": False, "events": True}))
    [result] = cloud.results()
    assert result["success"] is True and result["result"]["wipe_options"] == {"users": False, "events": True}
    assert len(agent.events) == 0 and "666" in agent.gallery
    assert len(api.get("/SophonFogSys/api/groups").json["data"]["groups_list"]) == 2

    api.post("/SophonFogSys/api/recognize", json={"image": b64(photo("obama", "probe"))})
    cloud.publish(command("wipe_data", wipe_options={"users": True, "events": False}))
    assert cloud.results()[0]["result"]["wipe_options"] == {"users": True, "events": False}
    assert len(agent.gallery) == 0 and len(agent.events) == 1
    groups = api.get("/SophonFogSys/api/groups").json["data"]["groups_list"]
    assert [g["name"] for g in groups] == ["default_group"]  # created again by default
    assert api.get("/SophonFogSys/api/permissions").json["data"]["permissions_list"] == []

    cloud.publish(command("wipe_data", wipe_options={"users": "yes"}))
    assert cloud.results()[0]["code"] == 40071  # upstream: both options are required booleans


# --- item 16: a slow platform costs no reconnect -------------------------------------------------
def test_a_command_held_up_by_a_slow_platform_costs_no_reconnect_and_no_redelivery(cloud, start_agent):
    details = {"data": {"user_list": [{**person("666", "fubing"), "reg_photo": b64(photo("obama"))}]}}
    cloud.routes["/getSendPerson"] = lambda seen: Reply(body=details, delay=10)  # five heartbeat intervals
    agent = start_agent(heartbeat=2)
    cloud.publish(command("add_users_plus", {"path": "/getSendPerson"}, userid_list=["666"]))
    [result] = cloud.results(timeout=60)
    assert result["success"] is True and result["result"]["success_users"][0]["userid"] == "666"
    time.sleep(6)  # a redelivered command would be answered again by now
    assert cloud.results(timeout=1) == []
    assert len(cloud.requests_to("/login")) == 1 and len(cloud.requests_to("/getSendPerson")) == 1
    assert agent.health.broker == "connected" and agent.health.broker_connects == 1
    assert cloud.waiting(cloud.queue) == 0
    [fetch] = cloud.requests_to("/getSendPerson")  # upstream 01 §6.1: token and dev_sno on the call
    assert fetch.query["token"] == ["token-1"] and fetch.query["dev_sno"] == ["SNO-STOCK"]
    # §6.1's body, plus only our documented extension (docs/contract-extensions.md, ext_photos)
    assert fetch.json() == {"userid_list": ["666"], "ext_photos": True}
