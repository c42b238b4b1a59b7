"""Live console updates made in other processes reach the open pages of the web process.

`make run` starts the Procfile's processes separately and, without REDIS_URL, each has its
own in-memory channel layer: beat (a box turning offline) and the worker and the results
consumer used to publish into nothing. This runs the real separate processes.
"""
import base64
import json
import time
import uuid

import requests

from tests.console_socket import ConsoleSocket
from tests.contract.platform_processes import ADMIN_PASSWORD, ADMIN_USER
from tests.contract.stock_box import StockBox
from tests.edge_cloud import wait_until
from tests.helpers import console_login
from tests.paths import FACES

SUFFIX = uuid.uuid4().hex[:6]  # the platform's database is the suite's (tests/conftest.py)
GROUP, IDENTITY = f"Live {SUFFIX}", f"live-{SUFFIX}"


def open_console(platform) -> ConsoleSocket:
    session = console_login(platform.base_url, ADMIN_USER, ADMIN_PASSWORD)
    return ConsoleSocket(platform.base_url, "; ".join(f"{k}={v}" for k, v in session.cookies.items()))


def fragment(key: str):
    return lambda message: message.get("kind") == "fragments" and key in message.get("fragments", {})


def test_worker_and_results_consumer_updates_reach_an_open_page(platform_processes):
    """A person given to a box: the worker publishes the command (its state changes live), the
    box answers on the upload queue, the results consumer stores it (the enrolment turns green)."""
    platform = platform_processes
    with open_console(platform) as socket:
        box_data = platform.api("POST", "/api/boxes/", json={"name": "Live door"}).json()
        platform.box_ids.append(box_data["id"])
        box = StockBox(login_url=platform.url("/box/login"), dev_sno=box_data["dev_sno"])
        box.login()
        box.connect()
        try:
            group = platform.api("POST", "/api/groups/", json={"name": GROUP, "boxes": [box.dev_sno]})
            assert group.status_code == 201, group.text
            photo = base64.b64encode((FACES / "enroll/obama/1.jpg").read_bytes()).decode()
            person = platform.api("POST", "/api/persons/", json={"identity_id": IDENTITY, "name": "Barack",
                                                                 "person_type": 1, "permission_groups": [GROUP],
                                                                 "photo_base64": photo})
            assert person.status_code == 201, person.text
            command = wait_until(lambda: platform.api("GET", "/api/commands/",
                                                      params={"box": box.dev_sno}).json()["results"], 10)[0]
            socket.next(lambda m: fragment_saying(m, f"command:{command['id']}", "published"), 10)
            assert box.serve(timeout=20) is not None
            key = f"enrolment:{box_data['id']}:{IDENTITY}"
            enrolled = socket.next(fragment(key), 10)
        finally:
            box.close()
        assert "enrolled" in enrolled["fragments"][key]


def fragment_saying(message: dict, key: str, word: str) -> bool:
    return message.get("kind") == "fragments" and word in message.get("fragments", {}).get(key, "")


def box_turned(box_id: int, online: bool):
    return lambda message: message.get("kind") == "box" and message.get("id") == box_id \
        and message.get("online") is online


def test_beat_marking_a_box_offline_reaches_an_open_page(platform_processes):
    platform = platform_processes  # beat checks for silent boxes every second
    box = json.loads(platform.manage("create_box", "--name", "Live gate", "--device-monitor-period", "1")
                     .strip().splitlines()[-1])
    platform.box_ids.append(box["id"])
    with open_console(platform) as socket:
        login = requests.get(box["login_url"], params={"dev_sno": box["dev_sno"], "hex_mac": "0x0000000a1b2c"},
                             timeout=10).json()
        assert login["token"]
        socket.next(box_turned(box["id"], online=True), 10)
        silent_since = time.monotonic()
        socket.next(box_turned(box["id"], online=False), 15)
        waited = time.monotonic() - silent_since
    # Three silent periods (3 s), found within one check period and relayed within 2 s.
    assert waited < 3 + 1 + 2, waited
