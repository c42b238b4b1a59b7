"""Every /box/ call but login needs the box's current token (CONTRACT.md §6a, revised; issue 11
item 3); a command's messageId only scopes what its path returns. Driven as a stock box drives
the platform: the URLs it was given, its dev_sno and token appended, over HTTP."""
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from django.utils import timezone

from devices.models import Box
from devices.services import disable_box, rotate_credentials
from distribution.models import Command, ReceivedResult
from users import services
from users.models import PermissionGroup

from .fakebox import FakeBox
from .helpers import record_url
from .paths import FACES

MAC = "0x0000000000c1"
# Every box endpoint but login, with a body it would accept from a good caller.
ENDPOINTS = [
    ("post", "/box/persons", {"userid_list": ["a-1"]}),
    ("get", "/box/photos/0123.jpg", None),
    ("post", "/box/results", {"success": True, "code": 0, "message": "", "messageKey": "wipe_data",
                              "result": {}}),
    ("post", "/box/status", {"gateway_status": "online", "sub_devices": []}),
    ("post", "/box/devices", {"actionType": 2, "deviceInfo": {"epId": "x"}}),
    ("post", "/box/events/history", []),
    ("post", "/box/events/realtime", {}),
]


@pytest.fixture
def served(make_box, client, commit, photo):
    """A box serving two people, one add_users_plus command per person (so a command names one id)."""
    box = make_box("gate")
    group = PermissionGroup.objects.create(name="staff")
    commit(services.set_group_boxes, group, [box])
    fake = FakeBox(client, box.dev_sno, MAC)
    commit(services.create_person, name="A", identity_id="a-1", photo=photo, permission_groups=[group])
    first = fake.receive()
    commit(services.create_person, name="B", identity_id="b-2",
           photo=(FACES / "enroll/biden/1.jpg").read_bytes(), permission_groups=[group])
    second = fake.receive()
    assert first["userid_list"] == ["a-1"] and second["userid_list"] == ["b-2"]
    return box, fake, first


def call(client, method: str, url: str, body=None):
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(body), content_type="application/json")


def assert_refused(response, code: int) -> None:
    """The contract's error shape with an upstream code, and nothing else in the body."""
    assert response.status_code == 401, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "status"}
    assert body["error"]["code"] == code
    assert body["error"]["status"] == {40091: "PARAM_ERROR", 40000: "BAD_REQUEST"}[code]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_every_box_endpoint_refuses_a_missing_wrong_or_replaced_token(client, make_box, method, path, body):
    box = make_box("gate")
    token = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": MAC}).json()["token"]
    assert_refused(call(client, method, f"{path}?dev_sno={box.dev_sno}", body), 40091)
    assert_refused(call(client, method, f"{path}?token={token}", body), 40091)
    assert_refused(call(client, method, f"{path}?dev_sno={box.dev_sno}&token=not-a-token", body), 40000)
    client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": MAC})  # a new login voids the old token
    assert_refused(call(client, method, f"{path}?dev_sno={box.dev_sno}&token={token}", body), 40000)
    assert not ReceivedResult.objects.exists()


def test_a_command_path_returns_nothing_without_the_current_token(served, client):
    box, fake, command = served
    path = command["extend_params"]["path"]
    assert "token" not in parse_qs(urlsplit(path).query)  # the box appends its own (CONTRACT §6a)
    ids = {"userid_list": ["a-1", "b-2"]}
    for url in (path, path + "&token=not-a-token", path + "&dev_sno=" + box.dev_sno,
                path + "&token=" + fake.token.swapcase()):
        response = client.post(url, ids, content_type="application/json")
        assert_refused(response, 40000 if "token=" in url else 40091)
        assert "data" not in response.json()


def test_a_command_path_returns_only_that_command_people_to_the_current_token(served, client):
    box, fake, command = served
    path = command["extend_params"]["path"]
    response = client.post(fake.signed(path), {"userid_list": ["a-1", "b-2"]}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert [p["identity_id"] for p in response.json()["data"]["user_list"]] == ["a-1"]
    # Appended the way upstream's example writes it ("?&dev_sno=..&token=..") onto a path with a query.
    literal = path + f"?&dev_sno={box.dev_sno}&token={fake.token}"
    response = client.post(literal, {"userid_list": ["a-1", "b-2"]}, content_type="application/json")
    assert [p["identity_id"] for p in response.json()["data"]["user_list"]] == ["a-1"]


def test_a_command_survives_a_new_login_with_the_new_token(served, client):
    box, fake, command = served
    old_token = fake.token
    renewed = FakeBox(client, box.dev_sno, MAC)
    assert renewed.token != old_token
    assert_refused(client.post(fake.signed(command["extend_params"]["path"]), {"userid_list": ["a-1"]},
                               content_type="application/json"), 40000)
    [person] = renewed.details(command)
    assert person["identity_id"] == "a-1"
    # The photo URL carries the token it was fetched with, the current one.
    assert parse_qs(urlsplit(person["relative_pic_url"]).query) == {"dev_sno": [box.dev_sno],
                                                                      "token": [renewed.token]}


@pytest.mark.parametrize("revoke", [rotate_credentials, disable_box])
def test_rotation_or_disabling_refuses_the_old_token_at_once(served, client, revoke, photo):
    box, fake, command = served
    [person] = fake.details(command)
    assert fake.photo(person["relative_pic_url"]).getvalue() == photo
    revoke(box)
    assert_refused(client.post(fake.signed(command["extend_params"]["path"]), {"userid_list": ["a-1"]},
                               content_type="application/json"), 40000)
    assert_refused(fake.photo(person["relative_pic_url"]), 40000)
    assert_refused(fake.answer_http(command, fake.result(command, success=["a-1"])), 40000)
    assert Command.objects.get(message_id=command["messageId"]).state == "published"


def test_another_box_command_id_gives_nothing_even_with_a_valid_token(served, make_box, client):
    _, _, command = served
    other = make_box("other")
    intruder = FakeBox(client, other.dev_sno, "0x0000000000c2")
    path = command["extend_params"]["path"].replace(parse_qs(urlsplit(command["extend_params"]["path"]).query)[
        "dev_sno"][0], other.dev_sno)
    response = client.post(intruder.signed(path), {"userid_list": ["a-1"]}, content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == 40401


def test_img_server_addr_is_a_plain_base_the_photo_paths_append_to(served, client, photo):
    box, fake, command = served
    base = fake.login["imgServerAddr"]
    assert base == "http://testserver" and not urlsplit(base).query
    [person] = fake.details(command)
    url = base + person["relative_pic_url"]
    assert urlsplit(url).path.startswith("/box/photos/")
    assert client.get(url).getvalue() == photo


@override_settings(PUBLIC_BASE_URL="http://platform.example:8080/aibox")
def test_under_a_path_prefix_both_compositions_give_the_same_photo_url(served, client):
    box, fake, command = served
    reply = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": MAC}).json()
    assert reply["imgServerAddr"] == "http://platform.example:8080"
    assert reply["recordAddr"].startswith("/aibox/box/events/history?")
    fake.token = reply["token"]
    [person] = fake.details(command)
    relative = person["relative_pic_url"]
    assert relative.startswith("/aibox/box/photos/")
    login_root = "http://platform.example:8080"  # upstream §9: scheme and host of the login URL
    assert reply["imgServerAddr"] + relative == login_root + relative


def test_a_call_moves_the_last_seen_time_once_a_status_period_and_brings_a_box_back_at_once(client, make_box):
    """The status report moves it every period and the offline check allows three, so calls in
    between write nothing; a box seen offline is online again with its first call."""
    box = make_box("gate", device_monitor_period=20)
    url = record_url(client, box)
    now = timezone.now()

    def history_after(seen_ago: float, online: bool = True):
        Box.objects.filter(pk=box.pk).update(last_seen_at=now - timedelta(seconds=seen_ago), online=online)
        assert client.post(url, "[]", content_type="application/json").status_code == 200
        return Box.objects.get(pk=box.pk)

    assert history_after(15).last_seen_at == now - timedelta(seconds=15)
    assert history_after(25).last_seen_at >= now
    back = history_after(1, online=False)
    assert back.online and back.last_seen_at >= now
