"""The bench's simulated fleet (bench/fleet_boxes.py) against the Procfile's processes.

Three simulated boxes, created by an administrator through the REST API, run as the bench runs
them (one asyncio process): each logs in, reports its status and passages, and answers the
add_users_plus the platform sends when a person is given to their group. What the boxes did is
checked from the platform's side (its API), so the bench's figures rest on a fleet that really
speaks the contract.
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid

import pytest

from tests.contract.platform_processes import ROOT, Platform
from tests.paths import FACES

BOXES = 3


@pytest.fixture(scope="module")
def plat(platform_processes: Platform) -> Platform:
    return platform_processes


def create_boxes(plat: Platform) -> list[dict]:
    boxes = []
    for i in range(BOXES):
        response = plat.api("POST", "/api/boxes/", json={"name": f"fleet {i} {uuid.uuid4().hex[:6]}",
                                                         "record_upload_period": 2, "device_monitor_period": 5})
        assert response.status_code == 201, response.text
        plat.box_ids.append(response.json()["id"])
        boxes.append(response.json())
    return boxes


def give_person_to(plat: Platform, boxes: list[dict]) -> str:
    group = f"fleet-{uuid.uuid4().hex[:6]}"
    response = plat.api("POST", "/api/groups/", json={"name": group, "boxes": [b["dev_sno"] for b in boxes]})
    assert response.status_code == 201, response.text
    identity_id = f"fleet-{uuid.uuid4().hex[:8]}"
    photo = (FACES / "enroll" / "obama" / "1.jpg").read_bytes()
    response = plat.api("POST", "/api/persons/", json={
        "identity_id": identity_id, "name": "Fleet person", "person_type": 1, "permission_groups": [group],
        "photo_base64": base64.b64encode(photo).decode()})
    assert response.status_code == 201, response.text
    return identity_id


def test_simulated_boxes_log_in_report_and_answer(plat: Platform) -> None:
    boxes = create_boxes(plat)
    fleet = subprocess.Popen(
        [sys.executable, "bench/fleet_boxes.py", "--login-url", plat.login_url, "--seconds", "14",
         "--event-rate", "2", "--codes", ",".join(b["dev_sno"] for b in boxes)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    identity_id = give_person_to(plat, boxes)  # while the boxes log in: the command waits on their queues
    out, err = fleet.communicate(timeout=120)
    assert fleet.returncode == 0, err
    tally = json.loads(out.strip().splitlines()[-1])

    assert tally["logins"] == BOXES, tally
    assert tally["statuses"] >= BOXES and tally["status_failures"] == 0, tally
    assert tally["passages_recorded"] > 0, tally
    assert tally["passages_recorded"] == tally["passages_stored"] + tally["passages_held"], tally
    assert sorted(tally["enrolled"]) == sorted(f"{b['dev_sno']}/{identity_id}" for b in boxes), tally
    assert tally["commands_delivered_again"] == 0 and tally["people_enrolled_twice_or_more"] == 0, tally

    person = plat.api("GET", f"/api/persons/{identity_id}/").json()
    states = {e["box"]: e["state"] for e in person["enrolments"]}
    assert states == {b["dev_sno"]: "enrolled" for b in boxes}, person["enrolments"]
    for box in boxes:
        seen = plat.api("GET", f"/api/boxes/{box['id']}/").json()
        assert seen["online"] is True, seen
        events = plat.api("GET", "/api/events/", params={"box": box["id"], "limit": 1000}).json()
        assert events["count"] >= 1, events
    assert sum(plat.api("GET", "/api/events/", params={"box": b["id"], "limit": 1}).json()["count"]
               for b in boxes) == tally["passages_stored"], tally
