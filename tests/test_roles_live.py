"""Roles on the live feed (issue 16 item 3), with the platform's real processes: a site manager's
open page hears its site's events and box states, and nothing of another site's, while an
administrator's page hears both."""
import time
import uuid

import requests

from tests.console_socket import ConsoleSocket
from tests.helpers import console_login, event

SUFFIX = uuid.uuid4().hex[:6]  # the platform's database is the suite's (tests/conftest.py)
MANAGER, PASSWORD = f"alice-manager-{SUFFIX}", "a-Long-manager-pw-42"


def logged_in_socket(base_url: str, username: str, password: str) -> ConsoleSocket:
    """A page opened after logging in through the login form, as a browser would."""
    session = console_login(base_url, username, password)
    return ConsoleSocket(base_url, "; ".join(f"{k}={v}" for k, v in session.cookies.items()))


def make_site_with_box(platform, site: str, box: str) -> tuple[int, dict]:
    area = platform.api("POST", "/api/areas/", json={"name": site})
    assert area.status_code == 201, area.text
    made = platform.api("POST", "/api/boxes/", json={"name": box, "area": area.json()["id"]})
    assert made.status_code == 201, made.text
    platform.box_ids.append(made.json()["id"])
    return area.json()["id"], made.json()


def report_event(platform, box: dict, identity: str) -> None:
    """The box logs in (it turns online) and reports a passage on the realtime channel."""
    login = requests.get(platform.url("/box/login"), params={"dev_sno": box["dev_sno"], "hex_mac": "0x0000000a1b2c"},
                         timeout=10).json()
    body = event(identity, int(time.time() * 1000))
    reply = requests.post(platform.url(login["realtimeAddr"]), json=body, timeout=10)
    assert reply.status_code == 200, reply.text


def about(box: dict):
    """Messages about `box`: its events, its state."""
    def test(message: dict) -> bool:
        if message.get("kind") == "events":
            return any(item["box"] == box["id"] for item in message["events"])
        return message.get("kind") == "box" and message.get("id") == box["id"]
    return test


def test_a_site_manager_hears_only_their_sites_live(platform_processes):
    platform = platform_processes
    campus, box_a = make_site_with_box(platform, f"Campus {SUFFIX}", "Alpha gate")
    _harbour, box_b = make_site_with_box(platform, f"Harbour {SUFFIX}", "Bravo gate")
    platform.manage("shell", "-c", (
        "from django.contrib.auth import get_user_model; from accounts.services import set_role; "
        "from devices.models import Area; "
        f"user = get_user_model().objects.create_user('{MANAGER}', password='{PASSWORD}'); "
        f"set_role(user, 'site_manager', [Area.objects.get(pk={campus})])"))
    with logged_in_socket(platform.base_url, MANAGER, PASSWORD) as mine, \
            logged_in_socket(platform.base_url, "admin", platform.env["ADMIN_PASSWORD"]) as everyone:
        report_event(platform, box_b, "bravo-7")  # B first: had it reached A's page, it would be there already
        report_event(platform, box_a, "alpha-1")
        assert everyone.next(lambda m: m.get("kind") == "events" and about(box_b)(m), 15)
        heard: list[dict] = []  # every message A's page got until A's event
        mine.next(lambda m: heard.append(m) or (m.get("kind") == "events" and about(box_a)(m)), 15)
        assert heard[-1]["site"] == campus and any(about(box_a)(m) for m in heard)
        assert not any(about(box_b)(m) for m in heard), "A's site manager heard of site B's box live"
        assert mine.quiet(about(box_b), 3), "A's site manager heard of site B's box live"
