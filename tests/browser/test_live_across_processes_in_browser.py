"""The console in Chromium against the Procfile's separate processes (as `make run` starts them,
no Redis): a box's state changed by the web process and by beat, and an enrolment stored by
the results consumer, appear on open pages without a reload."""
import base64
import json
import time
import uuid

from tests.browser.chromium import SHOTS, needs_chromium
from tests.contract.platform_processes import ADMIN_PASSWORD, ADMIN_USER
from tests.contract.stock_box import StockBox, status_report
from tests.paths import FACES

pytestmark = [needs_chromium]
SUFFIX = uuid.uuid4().hex[:6]  # the platform's database is the suite's (tests/conftest.py)
GROUP, IDENTITY = f"Lobby {SUFFIX}", f"lobby-{SUFFIX}"


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", ADMIN_USER)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base_url}/boxes/")


def test_updates_from_every_process_reach_open_pages(browser_page, platform_processes):
    page = browser_page
    platform = platform_processes  # beat checks for silent boxes every second
    box_data = json.loads(platform.manage("create_box", "--name", "Lobby gate", "--device-monitor-period", "1")
                          .strip().splitlines()[-1])
    platform.box_ids.append(box_data["id"])
    log_in(page, platform.base_url)
    badge = page.locator(f'[data-box-state="{box_data["id"]}"]')
    assert "offline" in badge.inner_text().lower()
    page.locator("body[data-live=connected]").wait_for()

    box = StockBox(login_url=box_data["login_url"], dev_sno=box_data["dev_sno"])
    box.login()
    box.report_status(status_report(box.dev_sno))  # the web process marks it online
    page.locator(f'[data-box-state="{box_data["id"]}"] .text-bg-success').wait_for(timeout=5_000)
    page.screenshot(path=str(SHOTS / "cross-process-1-online.png"))
    silent_since = time.monotonic()
    # Silent for three periods: beat (its own process) marks it offline; the page follows.
    page.locator(f'[data-box-state="{box_data["id"]}"] .text-bg-success').wait_for(state="detached",
                                                                                 timeout=10_000)
    assert time.monotonic() - silent_since < 3 + 1 + 2 + 1
    page.screenshot(path=str(SHOTS / "cross-process-2-offline.png"))

    box.connect()
    try:
        assert platform.api("POST", "/api/groups/", json={"name": GROUP, "boxes": [box.dev_sno]}).ok
        photo = base64.b64encode((FACES / "enroll/biden/1.jpg").read_bytes()).decode()
        person = platform.api("POST", "/api/persons/", json={
            "identity_id": IDENTITY, "name": "Joe", "person_type": 1, "permission_groups": [GROUP],
            "photo_base64": photo}).json()
        page.goto(f"{platform.base_url}/people/{person['id']}/")
        page.locator("body[data-live=connected]").wait_for()
        cell = page.locator(f'[data-live="enrolment:{box_data["id"]}:{IDENTITY}"]')
        assert box.serve(timeout=20) is not None  # the box answers on the upload queue
        try:
            cell.locator(".text-bg-success").wait_for(timeout=5_000)  # stored by the results consumer
        except Exception:
            page.screenshot(path=str(SHOTS / "debug.png"))
            print("API:", platform.api("GET", f"/api/persons/{IDENTITY}/").json().get("enrolments"))
            print("CELL:", cell.inner_html())
            print(platform.log_tails(30))
            raise
    finally:
        box.close()
    page.screenshot(path=str(SHOTS / "cross-process-3-enrolled.png"))
    assert page.script_errors == []

