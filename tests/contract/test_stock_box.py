"""A stock box against the real platform processes: every check follows an upstream section.

The box (`stock_box.py`) is written from the upstream documents only; the platform runs as its
Procfile's processes (`platform_processes.py`). Administrator actions go through the REST API
(`/api/schema/`) or, where only the console offers them (wipe, FIQA), the console's forms.
Issue 11's items are named where a check holds one of them.
"""

from __future__ import annotations

import base64
import io
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from PIL import Image, ImageFilter

from tests.contract.platform_processes import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    BOX_UPLOAD_VHOST,
    BOX_VHOST,
    Platform,
)
from tests.contract.stock_box import (
    LoginRefused,
    StockBox,
    StreamedBody,
    device_info,
    history_event,
    is_image,
    status_report,
    sub_device,
    with_credentials,
)

FACES = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "faces"
OBAMA = (FACES / "enroll" / "obama" / "1.jpg").read_bytes()
BIDEN = (FACES / "enroll" / "biden" / "1.jpg").read_bytes()
KIT = (FACES / "enroll" / "kit_harington" / "1.jpg").read_bytes()
SMALL = (FACES / "probe" / "obama" / "4.jpg").read_bytes()
COMMAND_WAIT = 15  # s a box waits for a command the platform should send at once


# --- fixtures ---

@pytest.fixture(scope="module")
def plat(request: pytest.FixtureRequest, platform_processes: Platform) -> Iterator[Platform]:
    """The platform's processes (tests/conftest.py: one run for the suite); their logs are printed
    when a check of this file failed."""
    failed_before = request.session.testsfailed
    yield platform_processes
    if request.session.testsfailed > failed_before:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(platform_processes.log_tails(80))


def new_box(plat: Platform, name: str, *, use_upload_queue: bool = True, connect: bool = True) -> StockBox:
    """A box created as an administrator (REST API), logged in and listening like a stock box."""
    response = plat.api("POST", "/api/boxes/", json={"name": f"{name} {uuid.uuid4().hex[:6]}"})
    assert response.status_code == 201, response.text
    plat.box_ids.append(response.json()["id"])
    box = StockBox(plat.login_url, response.json()["dev_sno"], use_upload_queue=use_upload_queue,
                   box_id=response.json()["id"])
    box.login()
    if connect:
        box.connect()
    return box


@pytest.fixture
def box(plat: Platform) -> Iterator[StockBox]:
    b = new_box(plat, "stock")
    yield b
    b.close()


# --- administrator helpers ---

def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_group(plat: Platform, boxes: list[StockBox]) -> str:
    name = uid("group")
    response = plat.api("POST", "/api/groups/", json={"name": name, "boxes": [b.dev_sno for b in boxes]})
    assert response.status_code == 201, response.text
    return name


def set_group_boxes(plat: Platform, group: str, boxes: list[StockBox]) -> None:
    groups = plat.api("GET", "/api/groups/", params={"limit": 1000}).json()["results"]
    group_id = next(g["id"] for g in groups if g["name"] == group)
    response = plat.api("PATCH", f"/api/groups/{group_id}/", json={"boxes": [b.dev_sno for b in boxes]})
    assert response.status_code == 200, response.text


def add_person(plat: Platform, identity_id: str, name: str, photo: bytes | None, groups: list[str]) -> dict:
    body = {"identity_id": identity_id, "name": name, "person_type": 1, "permission_groups": groups}
    if photo is not None:
        body["photo_base64"] = base64.b64encode(photo).decode()
    response = plat.api("POST", "/api/persons/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.25)


def enrolment(plat: Platform, identity_id: str, box: StockBox) -> dict | None:
    person = plat.api("GET", f"/api/persons/{identity_id}/").json()
    return next((e for e in person.get("enrolments", []) if e["box"] == box.dev_sno), None)


def wait_enrolment(plat: Platform, identity_id: str, box: StockBox, state: str, timeout: float = 15) -> dict:
    def check() -> dict | None:
        found = enrolment(plat, identity_id, box)
        return found if found and found["state"] == state else None
    try:
        return wait_for(check, timeout, f"{identity_id} {state} on {box.dev_sno}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; enrolment now: {enrolment(plat, identity_id, box)}") from None


def commands_of(plat: Platform, box: StockBox, method: str | None = None) -> list[dict]:
    params = {"box": box.dev_sno, "limit": 1000, **({"method": method} if method else {})}
    return plat.api("GET", "/api/commands/", params=params).json()["results"]


def ids_of(command: dict) -> list[str]:
    return list(command.get("userid_list") or []) + [u.get("identity_id") for u in command.get("user_info_list") or []]


def receive(plat: Platform, box: StockBox, method: str, timeout: float = COMMAND_WAIT) -> dict:
    """The next command on the box's queue, which must be `method`; says what the platform saw otherwise."""
    command = box.next_command(timeout)
    if command is None:
        seen = [{k: c.get(k) for k in ("method", "state", "attempts", "last_error", "publish_error")}
                for c in commands_of(plat, box)]
        raise AssertionError(f"no command reached the box's queue in {timeout}s; the platform's commands: {seen}")
    assert command.get("method") == method, command
    return command


def command_from_api(plat: Platform, box: StockBox, method: str, identity_id: str | None = None) -> dict:
    """A command as the administrator sees it (its payload is the message the box gets).

    Used where a check is about the answer, not the delivery, so it does not hinge on item 1."""
    def find() -> dict | None:
        for c in commands_of(plat, box, method):
            if identity_id is None or identity_id in ids_of(c["payload"]):
                return c
        return None
    return wait_for(find, 10, f"a {method} command for {box.dev_sno}")


def console(plat: Platform) -> requests.Session:
    """The console as the administrator logs into it (the only place with wipe and FIQA)."""
    session = requests.Session()
    session.get(plat.url("/login/"), timeout=30)
    response = session.post(plat.url("/login/"), timeout=30, headers={"Referer": plat.url("/login/")},
                            data={"username": ADMIN_USER, "password": ADMIN_PASSWORD,
                                  "csrfmiddlewaretoken": session.cookies.get("csrftoken")})
    assert response.status_code == 200 and "/login/" not in response.url, "console login failed"
    return session


def console_post(session: requests.Session, plat: Platform, path: str, **kwargs: object) -> requests.Response:
    data = {"csrfmiddlewaretoken": session.cookies.get("csrftoken"), **kwargs.pop("data", {})}
    return session.post(plat.url(path), data=data, headers={"Referer": plat.url(path)}, allow_redirects=False,
                        timeout=30, **kwargs)


def events(plat: Platform, **params: object) -> list[dict]:
    response = plat.api("GET", "/api/events/", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def assert_contract_error(response: requests.Response) -> None:
    """01 §6.1 / §4 请求失败: `{"error": {"code": int, "message": str, "status": str}}`, no data."""
    body = response.json()
    assert "data" not in body, body
    error = body["error"]
    assert isinstance(error["code"], int) and isinstance(error["message"], str) and isinstance(error["status"], str)


def assert_2xx_no_error(response: requests.Response) -> dict:
    assert 200 <= response.status_code < 300, f"{response.status_code} {response.text[:500]}"
    body = response.json() if response.content else {}
    assert not (isinstance(body, dict) and "error" in body), body
    return body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


# --- 01 §4 login ---

def test_create_box_prints_the_documented_json(plat: Platform) -> None:
    # README "Onboard a box": create_box prints {"id", "name", "dev_sno", "login_url"}
    assert set(plat.first_box) >= {"id", "name", "dev_sno", "login_url"}
    assert plat.first_box["login_url"].startswith(plat.base_url)


def test_setup_broker_creates_the_vhost_broker_url_names(plat: Platform) -> None:
    # issue 11 item 1; `manage.py help setup_broker`: "Create the platform's RabbitMQ vhosts"
    assert plat.setup_broker_made_celery_vhost, "the operator had to create BROKER_URL's vhost by hand"


def test_login_reply_has_every_documented_field_with_its_type(plat: Platform) -> None:
    # upstream 01 §4 管理平台返回值 (field table), CONTRACT §2.3
    box = StockBox(plat.login_url, plat.first_box["dev_sno"])
    reply = box.login()
    assert isinstance(reply["token"], str) and reply["token"]
    mq = reply["rabbitmq"]
    for key in ("host", "login", "password", "queue"):
        assert isinstance(mq[key], str) and mq[key], key
    assert isinstance(mq["port"], int)  # typed int in the table (the example's "5672" is a string)
    for key in ("vHost", "uploadVHost", "uploadQueue", "fiqaDownQueue", "fiqaUploadQueue"):
        assert isinstance(mq.get(key, ""), str), key
    assert isinstance(mq.get("unNeedBindExchange", False), bool)
    ex = mq["exchange"]
    assert isinstance(ex["name"], str) and isinstance(ex["type"], str)
    for key in ("passive", "durable", "auto_delete"):
        assert isinstance(ex[key], bool), key
    assert ex.get("arguments") is None or isinstance(ex["arguments"], dict)  # table: dict; example: null
    for key in ("imgServerAddr", "recordAddr", "deviceInfoAddr", "deviceMonitorAddr"):
        assert isinstance(reply.get(key, ""), str), key
    for key in ("recordUploadPeriod", "deviceMonitorPeriod"):
        assert isinstance(reply.get(key, 5), int) and reply.get(key, 5) >= 1, key
    # issue 11 item 1: the box vhosts the platform was configured with, whatever BROKER_URL names
    assert (mq["vHost"], mq["uploadVHost"]) == (BOX_VHOST, BOX_UPLOAD_VHOST)


def test_login_reply_connects_and_binds(plat: Platform) -> None:
    # upstream 01 §4 rabbitmq{...} + unNeedBindExchange; 01 §2.1 the box connects with these parameters
    box = new_box(plat, "bind", connect=False)
    box.connect()
    assert box.next_command(timeout=0.5) is None  # own queue readable, nothing queued yet
    box.close()


def test_img_server_addr_is_a_plain_base(plat: Platform) -> None:
    # upstream 01 §4 imgServerAddr ("如果下发得图片中是相对路径，则需要填写此地址"), CONTRACT §6a; issue 11 item 2
    reply = StockBox(plat.login_url, plat.first_box["dev_sno"]).login()
    base = reply.get("imgServerAddr")
    assert base, "no imgServerAddr"
    assert "?" not in base and "#" not in base, f"imgServerAddr carries a query: {base}"
    assert base.startswith(("http://", "https://"))


def test_login_failures_answer_the_error_body(plat: Platform) -> None:
    # upstream 01 §4 请求失败: non-200 with error{code int, message string, status string}
    unknown = StockBox(plat.login_url, "NOSUCHBOX000000000000000")
    with pytest.raises(LoginRefused) as refused:
        unknown.login()
    assert_contract_error(refused.value.response)
    # 01 §4: hex_mac is 必选
    response = requests.get(plat.login_url, params={"dev_sno": plat.first_box["dev_sno"]}, timeout=30)
    assert response.status_code != 200
    assert_contract_error(response)
    # CONTRACT §2.4: the code is bound to the first MAC that logged in
    other = StockBox(plat.login_url, plat.first_box["dev_sno"], hex_mac="0x001122334455")
    with pytest.raises(LoginRefused) as refused:
        other.login()
    assert_contract_error(refused.value.response)


# --- 01 §5.1.1 add_users_plus, §6.1 details, §9 URLs, §5.4 result ---

@pytest.fixture(scope="module")
def enrolled(plat: Platform) -> SimpleNamespace:
    """A person given to a box by an administrator; the box takes the command, fetches, answers."""
    box = new_box(plat, "enrol")
    group = make_group(plat, [box])
    pid = uid("obama")
    add_person(plat, pid, "Barack Obama", OBAMA, [group])
    command = receive(plat, box, "add_users_plus")
    result = box.handle(command)
    box.answer(command, result)
    return SimpleNamespace(box=box, group=group, pid=pid, command=command, result=result)


def test_add_users_plus_command_shape(enrolled: SimpleNamespace) -> None:
    # upstream 01 §5.1.1 parameter table
    command = enrolled.command
    assert command["method"] == "add_users_plus"
    assert isinstance(command["extend_params"], dict)  # 必选, may be empty
    assert ("userid_list" in command) != ("user_info_list" in command)  # 必选，二选一
    assert enrolled.pid in ids_of(command)
    if "messageId" in command:
        assert isinstance(command["messageId"], str)
    if "userid_list" in command:
        assert isinstance(command["extend_params"].get("path"), str), "ids only, but no path to fetch details"


def test_person_details_follow_6_1(enrolled: SimpleNamespace) -> None:
    # upstream 01 §6.1 返回数据参数描述
    if "user_info_list" in enrolled.command:
        users = enrolled.command["user_info_list"]
    else:
        assert enrolled.box.fetched_details, "details were not fetched"
        users = enrolled.box.fetched_details[-1]["data"]["user_list"]
    assert [u["identity_id"] for u in users] == [enrolled.pid]
    user = users[0]
    assert isinstance(user["identity_id"], str)
    assert sum(bool(user.get(k)) for k in ("reg_photo", "reg_url", "relative_pic_url")) >= 1  # 三选一
    assert user["register_type"] in (1, 2) and isinstance(user["register_type"], int)
    info = user["info"]
    assert isinstance(info["name"], str) and info["name"] == "Barack Obama"
    assert isinstance(info["type"], int) and info["type"] == 1
    assert isinstance(info["permission_ids"], list) and all(isinstance(p, str) for p in info["permission_ids"])


def test_a_person_with_several_photos_reaches_a_stock_box_as_6_1_with_the_best(plat: Platform) -> None:
    # upstream 01 §6.1 (one photo per person); issue 15 item 1: several photos per person, the
    # extension `ext_photos` only for a box that asks, so a stock box's reply is as ever
    box = new_box(plat, "photos")
    pid = uid("biden")
    buffer = io.BytesIO()
    Image.open(io.BytesIO(BIDEN)).convert("RGB").filter(ImageFilter.GaussianBlur(6)).save(buffer, "JPEG")
    add_person(plat, pid, "Joe Biden", buffer.getvalue(), [make_group(plat, [box])])
    box.answer(first := receive(plat, box, "add_users_plus"), box.handle(first))
    response = plat.api("POST", f"/api/persons/{pid}/photos/", json={"photo_base64": base64.b64encode(BIDEN).decode()})
    assert response.status_code == 201 and response.json()["is_primary"], response.text
    command = receive(plat, box, "add_users_plus")
    result = box.handle(command)
    box.answer(command, result)
    [user] = box.fetched_details[-1]["data"]["user_list"]
    assert set(user) == {"identity_id", "register_type", "info", "relative_pic_url"}, user
    assert box.gallery[pid]["photo"] == BIDEN  # the sharp photo, not the blurred first one


def test_photos_are_fetched_as_images(enrolled: SimpleNamespace) -> None:
    # upstream 01 §6.1 reg_url / relative_pic_url, §9 URL composition
    for url, status, content_type in enrolled.box.photo_fetches:
        assert status == 200 and content_type.startswith("image/"), (url, status, content_type)
    assert enrolled.result["result"]["success_users"], enrolled.result
    assert enrolled.box.gallery[enrolled.pid]["photo"] == OBAMA


def test_relative_pic_url_joined_to_img_server_addr(enrolled: SimpleNamespace) -> None:
    # upstream 01 §4 imgServerAddr + 01 §6.1 relative_pic_url; issue 11 item 2
    box = enrolled.box
    details = box.fetch_persons(enrolled.command["extend_params"]["path"], [enrolled.pid]).json()
    user = details["data"]["user_list"][0]
    if not user.get("relative_pic_url"):
        pytest.skip("the platform sends reg_url/reg_photo: imgServerAddr not needed")
    url = box.reply["imgServerAddr"] + user["relative_pic_url"]
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, f"{url} -> {response.status_code}"
    assert response.headers["Content-Type"].startswith("image/") and is_image(response.content)


def test_result_on_upload_queue_shows_enrolled(plat: Platform, enrolled: SimpleNamespace) -> None:
    # upstream 01 §5.4 result on uploadQueue (uploadVHost); the console/API shows the person enrolled
    assert enrolled.box.mq.get("uploadQueue"), "login gave no uploadQueue"
    state = wait_enrolment(plat, enrolled.pid, enrolled.box, "enrolled")
    assert state["code"] == 0


def test_upload_queue_result_counts_only_for_its_box(plat: Platform) -> None:
    # upstream 01 §5.4 dev_sno + messageId; CONTRACT §6a: a result on the upload queue counts only for a
    # messageId the platform issued to the dev_sno it names
    owner, other = new_box(plat, "owner"), new_box(plat, "other")
    pid = uid("forge")
    add_person(plat, pid, "Forged", SMALL, [make_group(plat, [owner])])
    command = receive(plat, owner, "add_users_plus")
    assert command.get("messageId"), "the platform sends no messageId: results over MQ cannot be matched"
    forged = {**owner.handle(command), "dev_sno": other.dev_sno}
    other.publish_result(forged, other.mq["uploadQueue"])
    time.sleep(2)  # the results consumer had time to take it
    assert enrolment(plat, pid, owner)["state"] == "pending", "a result naming another box was applied"
    owner.answer(command, owner.handle(command))
    wait_enrolment(plat, pid, owner, "enrolled")
    owner.close()
    other.close()


# --- issue 11 item 3: the token, not the messageId, authenticates (01 §6.1, CONTRACT §6a) ---

def test_person_details_need_the_current_token(plat: Platform) -> None:
    # upstream 01 §6.1 "请求时携带token验证和dev_sno授权信息"; CONTRACT §6a (revised)
    box = new_box(plat, "token")
    group = make_group(plat, [box])
    pid, other = uid("biden"), uid("kit")
    add_person(plat, pid, "Joe Biden", BIDEN, [group])
    add_person(plat, other, "Kit Harington", KIT, [make_group(plat, [box])])
    command = command_from_api(plat, box, "add_users_plus", pid)["payload"]
    path = command["extend_params"]["path"]

    def refused(response: requests.Response, how: str) -> None:
        assert response.status_code != 200, f"{how}: {response.status_code} {response.text[:300]}"
        assert_contract_error(response)

    refused(box.fetch_persons(path, [pid], token="not-a-token"), "token=not-a-token")
    refused(box.fetch_persons(path, [pid], token=None), "no token")
    refused(box.fetch_persons(path, [pid], dev_sno=None, token=None), "messageId alone")
    # a valid token and the command's messageId: only that command's ids (the other person is not in it)
    good = box.fetch_persons(path, [pid, other])
    assert good.status_code == 200, good.text
    assert [u["identity_id"] for u in good.json()["data"]["user_list"]] == [pid]
    photo_url = box.photo_url(good.json()["data"]["user_list"][0])
    old = box.token
    rotated = plat.api("POST", f"/api/boxes/{box.box_id}/rotate-credentials/")
    assert rotated.status_code in (200, 202, 204), rotated.text
    refused(box.fetch_persons(path, [pid], token=old), "token from before the rotation")
    if photo_url:
        stale = requests.get(photo_url, timeout=30)
        assert stale.status_code != 200, f"photo URL of the rotated token still answers: {photo_url}"
    refused(requests.post(box.addresses("recordAddr")[0], json=[], timeout=30), "recordAddr of the rotated token")
    box.login()  # the box logs in again: the queued command's path answers with the new token
    assert box.token != old
    again = box.fetch_persons(path, [pid])
    assert again.status_code == 200 and again.json()["data"]["user_list"][0]["identity_id"] == pid


def test_disabled_box_token_refused_at_once(plat: Platform) -> None:
    # CONTRACT §6a: disabling a box refuses its old token at once, on every /box/ call
    box = new_box(plat, "disable", connect=False)
    assert_2xx_no_error(box.report_status(status_report(box.dev_sno)))
    response = plat.api("POST", f"/api/boxes/{box.box_id}/disable/")
    assert response.status_code in (200, 202, 204), response.text
    for refused in (box.report_status(status_report(box.dev_sno)),
                    requests.post(box.addresses("recordAddr")[0], json=[], timeout=30)):
        assert refused.status_code != 200, refused.text
        assert_contract_error(refused)
    with pytest.raises(LoginRefused) as login:  # 01 §4: disabled codes are refused (CONTRACT §2.4)
        box.login()
    assert_contract_error(login.value.response)


# --- issue 11 item 6: a person without a photo is not sent (01 §6.1 三选一) ---

def test_person_without_photo_is_held_back(plat: Platform, box: StockBox) -> None:
    # upstream 01 §6.1: one of reg_photo / reg_url / relative_pic_url is required
    group = make_group(plat, [])
    with_photo, without = uid("rose"), uid("nophoto")
    add_person(plat, with_photo, "With Photo", SMALL, [group])
    add_person(plat, without, "Without Photo", None, [group])
    set_group_boxes(plat, group, [box])
    received = [receive(plat, box, "add_users_plus")] + box.commands(2)
    for command in received:
        assert without not in ids_of(command), f"photo-less person sent: {command}"
        if command.get("method") == "add_users_plus" and "userid_list" in command:
            details = box.fetch_persons(command["extend_params"]["path"], [without, *command["userid_list"]])
            if details.status_code == 200:
                assert without not in [u["identity_id"] for u in details.json()["data"]["user_list"]]
    assert with_photo in sum((ids_of(c) for c in received), [])
    person = plat.api("GET", f"/api/persons/{without}/").json()
    shown = person.get("needs_photo") is True or any(
        "photo" in (e.get("message") or "").lower() for e in person.get("enrolments", []))
    assert shown, f"the API does not say the person needs a photo: {person}"


# --- 01 §5.1.2 delete_users and §5.2 wipe_data ---

def test_delete_users_flow(plat: Platform, box: StockBox) -> None:
    # upstream 01 §5.1.2 (command and result), after an administrator takes the person away
    group = make_group(plat, [box])
    pid = uid("del")
    add_person(plat, pid, "To Delete", SMALL, [group])
    command = receive(plat, box, "add_users_plus")
    box.answer(command, box.handle(command))
    wait_enrolment(plat, pid, box, "enrolled")
    response = plat.api("PATCH", f"/api/persons/{pid}/", json={"permission_groups": []})
    assert response.status_code == 200, response.text
    command = receive(plat, box, "delete_users")
    assert pid in command["userid_list"]
    assert isinstance(command.get("extend_params", {}), dict)
    result = box.handle(command)
    box.answer(command, result)
    assert pid not in box.gallery
    wait_for(lambda: enrolment(plat, pid, box) is None, 15, "the enrolment to go once deleted")


def test_wipe_data_flow(plat: Platform, box: StockBox) -> None:
    # upstream 01 §5.2 MQ命令示例 and 返回结果示例 (answered verbatim over notify_path, as it has no messageId)
    session = console(plat)
    response = console_post(session, plat, f"/boxes/{box.box_id}/command/wipe/")
    assert response.status_code in (200, 302), response.status_code
    command = receive(plat, box, "wipe_data")
    options = command["wipe_options"]
    assert isinstance(options["users"], bool) and isinstance(options["events"], bool)
    assert options["users"] is True  # the console's "Wipe its people"
    assert isinstance(command["extend_params"], dict)
    example = {"success": True, "code": 0, "message": "重置数据成功", "dev_sno": box.dev_sno,
               "messageKey": "wipe_data", "result": {"wipe_options": {"users": options["users"],
                                                                      "events": options["events"]}}}
    if command["extend_params"].get("notify_path"):
        assert_2xx_no_error(box.post_result(command["extend_params"]["notify_path"], example))
    else:
        box.answer(command, box.result(command, example["result"], message=example["message"]))
    wait_for(lambda: [c for c in commands_of(plat, box, "wipe_data") if c["state"] == "done"], 15,
             "the wipe_data command to show done")


# --- issue 11 item 7 (notify_path) and the result examples of 01 §5.1.1 / §5.4 ---

def test_notify_path_results_without_message_id(plat: Platform) -> None:
    # upstream 01 §5.4 添加人员MQ命令返回示例 (no messageId), sent to notify_path by a box without
    # uploadQueue (01 §5.1.1 notify_path note); issue 11 item 7
    box = new_box(plat, "notify", use_upload_queue=False, connect=False)
    group = make_group(plat, [])
    first, second = uid("n1"), uid("n2")
    add_person(plat, first, "test12", SMALL, [group])
    add_person(plat, second, "test3", KIT, [group])
    set_group_boxes(plat, group, [box])
    command = command_from_api(plat, box, "add_users_plus", first)["payload"]
    assert second in ids_of(command), "both people in one command expected"
    example = {  # §5.4 example, userids and dev_sno adjusted, the tabs of the example kept
        "code": 0, "success": True, "message": "下发人员MQ命令执行成功", "dev_sno": box.dev_sno,
        "result": {"failed_users": [],
                   "success_users": [{"userid": first, "code": 0, "message": "人员下发\t\t\t\t\t\t\t\t成功",
                                      "username": "test12"},
                                     {"userid": second, "code": 0, "message": "人员下发成功", "username": "test3"}]},
        "messageKey": "add_users_plus"}
    assert_2xx_no_error(box.post_result(command["extend_params"]["notify_path"], example))
    wait_enrolment(plat, first, box, "enrolled")
    wait_enrolment(plat, second, box, "enrolled")
    # upstream 01 §5.1.2 返回结果示例 (no messageId either) for the delete that follows
    set_group_boxes(plat, group, [])
    command = command_from_api(plat, box, "delete_users", first)["payload"]
    assert set(command["userid_list"]) == {first, second}
    example = {"success": True, "code": 0, "message": "删除人员MQ命令执行成功", "dev_sno": box.dev_sno,
               "messageKey": "delete_users",
               "result": {"success_users": [{"userid": first, "message": "人员删除成功", "code": 0}],
                          "failed_users": [{"userid": second, "message": "人员删除失败", "code": 40095}]}}
    assert_2xx_no_error(box.post_result(command["extend_params"]["notify_path"], example))
    wait_for(lambda: enrolment(plat, first, box) is None, 15, "the deleted person's enrolment to go")


def test_add_users_plus_result_example_with_failures(plat: Platform) -> None:
    # upstream 01 §5.1.1 返回结果示例: success true, failed_users with code "40094" (a string there)
    box = new_box(plat, "failed", use_upload_queue=False, connect=False)
    group = make_group(plat, [])
    good, bad = uid("ok"), uid("bad")
    add_person(plat, good, "小赵", SMALL, [group])
    add_person(plat, bad, "小王", KIT, [group])
    set_group_boxes(plat, group, [box])
    command = command_from_api(plat, box, "add_users_plus", good)["payload"]
    example = {"success": True, "code": 0, "message": "下发人员MQ命令执行成功", "dev_sno": box.dev_sno,
               "messageKey": "add_users_plus",
               "result": {"success_users": [{"userid": good, "username": "小赵", "message": "人员下发成功", "code": 0}],
                          "failed_users": [{"userid": bad, "username": "小王", "message": "无法检测到人脸",
                                            "code": "40094"}]}}
    assert_2xx_no_error(box.post_result(command["extend_params"]["notify_path"], example))
    wait_enrolment(plat, good, box, "enrolled")
    failed = wait_enrolment(plat, bad, box, "failed")
    assert failed["code"] == 40094 and failed["message"] == "无法检测到人脸"


def test_fiqa_result_example_on_fiqa_upload_queue(plat: Platform, box: StockBox) -> None:
    # upstream 01 §5.3 MQ命令示例 and 返回结果示例 (verbatim, messageId and dev_sno adjusted)
    session = console(plat)  # the console is the only place that asks a box for FIQA
    session.get(plat.url("/fiqa/"), timeout=30)
    response = console_post(session, plat, "/fiqa/", data={"box": box.box_id, "level": "high"},
                            files={"photo": ("face.jpg", SMALL, "image/jpeg")})
    assert response.status_code in (200, 302), response.status_code
    command = box.next_command(COMMAND_WAIT, queue=box.mq.get("fiqaDownQueue") or box.mq["queue"])
    assert command, f"no fiqa command; the platform's: {commands_of(plat, box, 'fiqa')}"
    assert command["method"] == "fiqa" and isinstance(command["info"]["image_base64_str"], str)
    assert command["info"].get("fiqa_level") in (None, "", "high", "custom", "middle", "low", "no")
    example = {
        "success": True, "code": 0, "message": "检测图片质量MQ命令执行成功", "dev_sno": box.dev_sno,
        "messageKey": "fiqa", "messageId": command.get("messageId"),
        "result": {"data": [{
            "bbox": [103, 78, 514, 609], "fails": [], "fiqa_result": True,
            "info": {"brightness": 0.9496459238842202, "clarity": 1.4716458509372252, "face_size": 354,
                     "headpose": {"pitch_angle": 9.38, "roll_angle": -0.05, "yaw_angle": -1.63},
                     "mask": 0.0036406677681952715, "occlusion": [True, True, True], "partial": False},
            "score": 1.4716458509372252,
            "success": ["face_size", "headpose", "occlusion", "clarity", "mask", "partial", "brightness"]}]}}
    box.answer(command, example, upload_queue=box.mq.get("fiqaUploadQueue"))
    done = wait_for(lambda: [c for c in commands_of(plat, box, "fiqa") if c["state"] == "done"], 15,
                    "the fiqa command to show done")
    assert done[0]["result"]["result"]["data"][0]["info"]["occlusion"] == [True, True, True]


# --- 01 §7 / 02 §4.4.9 history events ---

def test_history_batch_and_event_fields(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.4.9 parameter table, every field; 01 §7 batches ≤ 100 to every recordAddr
    pid = uid("ev")
    batch = [history_event(box.dev_sno, pid, "Tom", now_ms() - i * 1000, score=0.23, spot_pic=b64(SMALL),
                           reg_pic=b64(OBAMA), device_type="0", person_type=2) for i in range(3)]
    for response in box.upload_history(batch):
        assert_2xx_no_error(response)
    stored = events(plat, identity_id=pid)
    assert len(stored) == 3
    event = stored[0]
    assert (event["identity_name"], event["group_name"], event["score"]) == ("Tom", "default_group", 0.23)
    assert (event["person_type"], event["device_type"], event["device_ip"]) == (2, 0, "192.168.1.101")
    assert event["ep_id"] == f"{box.dev_sno}__192.168.1.101"
    assert event["spot_pic_url"] and event["reg_pic_url"]
    # re-sent after a lost answer: stored once (CONTRACT §6)
    for response in box.upload_history(batch):
        assert_2xx_no_error(response)
    assert len(events(plat, identity_id=pid)) == 3


def test_history_example_verbatim(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.4.9 返回信息 example, verbatim (Python literals as JSON): its spot_pic 'xxxxx' is no picture
    example = {
        "score": 0.16, "reg_pic": "", "group_name": "default_group", "identity_id": uid("13028"),
        "identity_name": "stranger", "timestamp": 1560408984678,
        "ext_data": {
            "device_type": "1",
            "grab_fiqa_info": {"confidence": 90, "face_id": 1381,
                               "rect": {"top": 420, "bottom": 524, "right": 1734, "left": 1652}, "pitch": 0,
                               "age": 4, "rel_rect": {"top": 62, "bottom": 166, "right": 134, "left": 52},
                               "yaw": 0, "eye_dist": 82, "roll": 0, "sex": 1},
            "spot_pic": "xxxxx",
            "box_fiqa_info": {"age": 4, "sex": 1,
                              "info": {"face_size": 255.0, "clarity": 1.285613331998212,
                                       "headpose": {"roll_angle": 10.107, "pitch_angle": 14.413,
                                                    "yaw_angle": 7.326},
                                       "partial": False, "brightness": 0.8362176798557405},
                              "fiqa_result": True, "success": ["face_size", "clarity", "headpose", "partial",
                                                               "brightness"], "fails": []},
            "person_type": 1, "device_ip": "192.168.1.151"}}
    for response in box.upload_history([example]):
        assert_2xx_no_error(response)
    stored = events(plat, identity_id=example["identity_id"])
    assert len(stored) == 1, "the document's own example was not stored"
    event = stored[0]
    assert event["timestamp_ms"] == 1560408984678
    assert event["occurred_at"].startswith("2019-06-13")
    assert event["grab_fiqa_info"] == example["ext_data"]["grab_fiqa_info"]
    assert event["box_fiqa_info"] == example["ext_data"]["box_fiqa_info"]
    assert (event["device_type"], event["device_ip"], event["score"]) == (1, "192.168.1.151", 0.16)
    assert event["spot_pic_url"] is None and event["reg_pic_url"] is None  # 'xxxxx' and '' are no pictures


def test_realtime_example_at_realtime_addr(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.4.6 返回信息 example; realtimeAddr is this platform's extension (CONTRACT §6),
    # which a stock box may ignore: if handed out, the document's realtime body is accepted there
    if not box.reply.get("realtimeAddr"):
        pytest.skip("no realtimeAddr (an extension)")
    example = {"reg_pic": "", "ext_data": {"person_type": 5, "grab_fiqa_info": {}, "device_ip": "192.168.1.243",
                                           "box_fiqa_info": {}, "device_type": "0", "spot_pic": ""},
               "identity_id": uid("666666"), "score": 0.6231614351272583, "timestamp": 1566016554020,
               "group_name": "default_group", "identity_name": "小明"}
    assert_2xx_no_error(requests.post(box.addresses("realtimeAddr")[0], json=example, timeout=30))


# --- issue 11 item 4: big batches, one bad event, base64 variants ---

def big_jpeg() -> bytes:
    """A 1920×1080 JPEG of a few MB, made from a shared face photo (noise keeps it from compressing)."""
    face = Image.open(io.BytesIO(OBAMA)).convert("RGB").resize((1920, 1080))
    noisy = Image.blend(face, Image.effect_noise((1920, 1080), 40).convert("RGB"), 0.15)
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=100, subsampling=0)
    return out.getvalue()


def test_batch_of_100_with_1080p_pictures(plat: Platform, box: StockBox) -> None:
    # upstream 01 §7 (≤ 100 per upload) + 02 §4.4.9 spot_pic "可配置是否为大图" and reg_pic; issue 11 item 4
    spot, reg = big_jpeg(), OBAMA
    assert len(spot) > 2_000_000
    prefix = uid("big")
    batch = [history_event(box.dev_sno, f"{prefix}-{i:03d}", "Big", now_ms() - i, spot_pic="<SPOT>",
                           reg_pic="<REG>") for i in range(100)]
    body = StreamedBody.of_events(batch, {"<SPOT>": base64.b64encode(spot), "<REG>": base64.b64encode(reg)})
    try:
        response = box.post_stream("recordAddr", body)
    except requests.ConnectionError as exc:
        pytest.fail(f"{len(body) / 2**20:.0f} MiB batch: connection dropped ({exc.__class__.__name__})")
    assert_2xx_no_error(response)
    stored = events(plat, q=prefix)
    assert len(stored) == 100, f"{len(stored)} of 100 stored"
    picture = requests.get(resolve_url(plat, stored[0]["spot_pic_url"]), timeout=30,
                           headers={"Authorization": f"Token {plat.admin_token}"})
    assert picture.status_code == 200
    assert Image.open(io.BytesIO(picture.content)).size == (1920, 1080)


def names(answer: object, identity_id: str, index: int) -> bool:
    """Whether an answer names an event by its identity_id or its position in the batch."""
    if isinstance(answer, dict):
        if any(k in ("index", "position") and v == index for k, v in answer.items()):
            return True
        return any(names(v, identity_id, index) for v in answer.values())
    if isinstance(answer, list):
        return any(names(v, identity_id, index) for v in answer)
    return answer == identity_id


def test_one_malformed_event_does_not_refuse_the_batch(plat: Platform, box: StockBox) -> None:
    # upstream 01 §7 表 "上传完成后会记录当前游标" (the box moves on only after success); issue 11 item 4
    prefix = uid("mixed")
    batch = [history_event(box.dev_sno, f"{prefix}-{i}", "Good", now_ms() - i) for i in range(5)]
    bad = history_event(box.dev_sno, f"{prefix}-bad", "No timestamp", 0)
    del bad["timestamp"]  # 必选 in 02 §4.4.9
    batch.insert(3, bad)
    response = box.upload_history(batch)[0]
    answer = assert_2xx_no_error(response)
    stored = {e["identity_id"] for e in events(plat, q=prefix)}
    assert stored == {f"{prefix}-{i}" for i in range(5)}
    assert names(answer, bad["identity_id"], 3), f"the answer does not name the bad event: {answer}"
    schema = plat.api("GET", "/api/schema/", params={"format": "json"}).json()
    quarantine = [p for p in schema["paths"] if "quarantin" in p and "{" not in p]
    assert quarantine, "no quarantine in the REST API (/api/schema/)"
    listing = plat.api("GET", quarantine[0], params={"limit": 1000})
    assert listing.status_code == 200 and bad["identity_id"] in listing.text
    session = console(plat)  # ... and in the console: a page linked from the events page lists it
    links = re.findall(r'href="([^"]*quarantin[^"]*)"', session.get(plat.url("/events/"), timeout=30).text)
    assert links, "no link to the quarantine on the console's events page"
    assert bad["identity_id"] in session.get(resolve_url(plat, links[0]), timeout=30).text


def test_base64_variants_decode(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.4.9 spot_pic/reg_pic "base64": MIME line breaks, a data: prefix, the URL-safe alphabet;
    # issue 11 item 4. A picture that is not an image is not stored as one, the event is kept.
    standard = base64.b64encode(SMALL).decode()
    urlsafe = base64.urlsafe_b64encode(SMALL).decode()
    assert urlsafe != standard  # the picture's encoding does use '-' or '_'
    variants = {
        "standard": standard,
        "mime": base64.encodebytes(SMALL).decode().replace("\n", "\r\n"),
        "data-uri": "data:image/jpeg;base64," + standard,
        "urlsafe": urlsafe,
    }
    prefix = uid("b64")
    batch = [history_event(box.dev_sno, f"{prefix}-{name}", name, now_ms() - i, spot_pic=value)
             for i, (name, value) in enumerate(variants.items())]
    batch.append(history_event(box.dev_sno, f"{prefix}-text", "text", now_ms() - 10,
                               spot_pic=base64.b64encode(b"hello, not a picture").decode()))
    assert_2xx_no_error(box.upload_history(batch)[0])
    stored = {e["identity_id"]: e for e in events(plat, q=prefix)}
    assert set(stored) == {e["identity_id"] for e in batch}, sorted(stored)
    auth = {"Authorization": f"Token {plat.admin_token}"}
    for name in variants:
        url = stored[f"{prefix}-{name}"]["spot_pic_url"]
        assert url, f"{name}: picture not stored"
        picture = requests.get(resolve_url(plat, url), headers=auth, timeout=30, allow_redirects=False)
        assert picture.status_code == 200 and is_image(picture.content), f"{name}: {picture.status_code}"
        assert Image.open(io.BytesIO(picture.content)).size == Image.open(io.BytesIO(SMALL)).size
    assert stored[f"{prefix}-text"]["spot_pic_url"] is None


# --- issue 11 item 5: timestamps in seconds and in milliseconds ---

def test_timestamp_in_seconds_and_in_milliseconds(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.4.9 timestamp: typed int32 (seconds), example 1565771454932 (ms)
    moment = datetime(2024, 5, 6, 12, 30, 15, tzinfo=UTC)
    seconds, millis = int(moment.timestamp()), int(moment.timestamp()) * 1000 + 250
    prefix = uid("ts")
    batch = [history_event(box.dev_sno, f"{prefix}-s", "seconds", seconds),
             history_event(box.dev_sno, f"{prefix}-ms", "millis", millis)]
    assert_2xx_no_error(box.upload_history(batch)[0])
    stored = {e["identity_id"]: e for e in events(plat, q=prefix)}
    for key, expected_ms in (("s", seconds * 1000), ("ms", millis)):
        event = stored[f"{prefix}-{key}"]
        occurred = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).astimezone(UTC)
        assert occurred.date() == moment.date(), f"{key}: stored as {event['occurred_at']}"
        assert event["timestamp_ms"] == expected_ms


# --- issue 11 item 7: form-data uploads, offline status, pictures with an API token ---

def test_history_upload_as_form_data(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.4.7 content-type: [json, form-data] (the box chooses); issue 11 item 7
    pid = uid("form")
    event = history_event(box.dev_sno, pid, "Form Data", now_ms(), spot_pic=b64(SMALL))
    for response in box.upload_history([event], form_data=True):
        assert_2xx_no_error(response)
    stored = events(plat, identity_id=pid)
    assert len(stored) == 1 and stored[0]["ep_id"] == event["ext_data"]["ep_id"]
    assert stored[0]["spot_pic_url"]


def test_event_picture_fetchable_with_api_token(plat: Platform, box: StockBox) -> None:
    # README "Console and API": token auth for the REST API, whose events carry picture URLs; issue 11 item 7
    pid = uid("pic")
    assert_2xx_no_error(box.upload_history([history_event(box.dev_sno, pid, "Pic", now_ms(), spot_pic=b64(SMALL),
                                                          reg_pic=b64(OBAMA))])[0])
    event = events(plat, identity_id=pid)[0]
    for key in ("spot_pic_url", "reg_pic_url"):
        response = requests.get(resolve_url(plat, event[key]), timeout=30, allow_redirects=False,
                                headers={"Authorization": f"Token {plat.admin_token}"})
        assert response.status_code == 200, f"{key}: {response.status_code} {response.headers.get('Location')}"
        assert is_image(response.content)


def test_status_report_fields_and_offline(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.5.3 parameter table; gateway_status [online, offline]; issue 11 item 7
    body = status_report(box.dev_sno, sub_devices=[sub_device(box.dev_sno, "192.168.1.101")])
    assert_2xx_no_error(box.report_status(body))
    status = plat.api("GET", f"/api/boxes/{box.box_id}/status/").json()
    assert status["online"] is True
    assert [d["ep_id"] for d in status["sub_devices"]] == [f"{box.dev_sno}__192.168.1.101"]
    assert has_value(status["report"], "cpu_usage", 1.3), status["report"]
    assert_2xx_no_error(box.report_status({**body, "gateway_status": "offline"}))
    assert plat.api("GET", f"/api/boxes/{box.box_id}/").json()["online"] is False, "offline report ignored"


def test_status_example_verbatim(plat: Platform, box: StockBox) -> None:
    # upstream 02 §4.5.3 返回信息 example, verbatim but for dev_sno (also inside ep_id)
    example = {
        "dev_sno": box.dev_sno,
        "gateway_ext_data": {"sdk_version": "1.1.56d1e91", "cpu_usage": 6.5, "disk_free_size": 9.41,
                             "sw_version": "build.date=2019年 08月 06日 星期二 17:42:49 CST\nBUILD TIME: "
                                           "20190806_173257\nVERSION: V2R1C01\n",
                             "memory_usage": 0.77, "memory_size": 1.55, "disk_size": 10.39,
                             "gateway_mac": "e0:a5:09:00:0e:6d"},
        "gateway_sn": "SZCCKQRAIJBAH0002",
        "sub_devices": [{"ep_status": "online", "ep_location": "95274d2c-0941-4d96-b032-ab200f81362c",
                         "ep_url": "rtsp://192.168.1.101:554/ch2", "ep_type": "2", "ep_name": "",
                         "ep_id": f"{box.dev_sno}__192.168.1.101", "ep_ip": "192.168.1.101"}],
        "gateway_name": "bm1682landy93", "gateway_status": "online", "gateway_ip": "192.168.1.251 "}
    assert_2xx_no_error(box.report_status(example))
    status = plat.api("GET", f"/api/boxes/{box.box_id}/status/").json()
    assert status["online"] is True and has_value(status["report"], "cpu_usage", 6.5), status
    device = status["sub_devices"][0]
    assert (device["ep_id"], device["ip"], device["status"], device["device_type"]) == (
        f"{box.dev_sno}__192.168.1.101", "192.168.1.101", "online", 2)


# --- 01 §7.2 device operate events ---

def test_device_operate_events(plat: Platform, box: StockBox) -> None:
    # upstream 01 §7.2 request table (every field, its types), 请求示例 and 请求成功 reply
    info = device_info(box.dev_sno, "192.168.1.77")
    added = box.report_device(1, info)
    assert added.status_code == 200, added.text
    reply = added.json()
    assert reply["status"] == 0 and isinstance(reply["message"], str) and reply["data"] is None
    status = plat.api("GET", f"/api/boxes/{box.box_id}/status/").json()
    assert info["epId"] in [d["ep_id"] for d in status["sub_devices"]]
    # the 请求示例 as written: actionType, epId, devSno and its extra "type"
    example = {"actionType": 1, "deviceInfo": {"epId": f"{box.dev_sno}__iuqwefk12nad", "devSno": box.dev_sno,
                                               "type": 1}}
    response = requests.post(box.url(box.reply["deviceInfoAddr"]), json=example, timeout=30)
    assert response.status_code == 200 and response.json()["status"] == 0, response.text
    removed = box.report_device(2, info)
    assert removed.status_code == 200 and removed.json()["status"] == 0, removed.text
    status = plat.api("GET", f"/api/boxes/{box.box_id}/status/").json()
    assert info["epId"] not in [d["ep_id"] for d in status["sub_devices"]]


# --- helpers used above ---

def has_value(obj: object, key: str, value: object) -> bool:
    """Whether `key: value` appears anywhere in a nested answer (the report's layout is the platform's)."""
    if isinstance(obj, dict):
        return obj.get(key) == value or any(has_value(v, key, value) for v in obj.values())
    if isinstance(obj, list):
        return any(has_value(v, key, value) for v in obj)
    return False


def resolve_url(plat: Platform, url: str) -> str:
    return url if re.match(r"https?://", url) else plat.url(url)


def test_with_credentials_follows_6_1() -> None:
    # upstream 01 §6.1 请求示例: http://{host}/getSendPerson?&dev_sno=xxxx&token=xxxxx
    assert with_credentials("http://h/getSendPerson", "D", "T") == "http://h/getSendPerson?&dev_sno=D&token=T"
    assert with_credentials("http://h/p?messageId=1", "D", "T") == "http://h/p?messageId=1&dev_sno=D&token=T"
