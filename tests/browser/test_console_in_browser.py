"""The console in a real browser (Debian's Chromium through Playwright), against the real
ASGI server, broker, face models and an edge agent. Screenshots of every step are kept in
var/test/screenshots/ (the suite's artefacts)."""
import base64
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from devices.models import Box
from devices.tasks import mark_silent_boxes_offline
from edge_agent.agent import Agent
from edge_agent.api import create_app
from tests.face.conftest import FACES
from tests.fakebox import drain_results

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(settings.VAR_DIR) / "screenshots"
PASSWORD = "correct horse battery"

pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
    pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                       reason="Chromium not installed (make setup installs it)"),
]


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and page.script_errors.append(message.text))
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def platform_workers(asgi_server):
    """What `make run` runs beside the web: the results consumer and the offline check (beat)."""
    stopping = threading.Event()

    def work():
        while not stopping.wait(0.3):
            drain_results()
            mark_silent_boxes_offline()

    thread = threading.Thread(target=work, name="workers", daemon=True)
    thread.start()
    yield
    stopping.set()
    thread.join(10)


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_administrator_runs_a_box_from_the_console(browser_page, asgi_server, platform_workers, admin_user,
                                                      broker_admin, tmp_path):
    page, base = browser_page, asgi_server.url
    # Log in.
    page.goto(base + "/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('Boxes')")
    shot(page, "01-logged-in")

    # Create a box (a short status period so that going offline shows quickly).
    page.click("text=New box")
    page.fill("#id_name", "Browser gate")
    page.fill("#id_device_monitor_period", "1")
    page.fill("#id_record_upload_period", "1")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('Browser gate')")
    box = Box.objects.get(name="Browser gate")
    assert box.dev_sno in page.content()
    shot(page, "02-box-created")

    agent = Agent(tmp_path / "box", dev_sno=box.dev_sno, login_url=base + "/box/login", mac="0x0000b0b0b0b0")
    agent.start()
    try:
        # The box comes online on its page without a reload.
        page.wait_for_selector(f"[data-box-state='{box.pk}'] :text('online')")
        shot(page, "03-box-online")

        # A group for the box, then a person with a photo in it.
        page.goto(base + "/groups/new/")
        page.fill("#id_name", "Staff")
        page.check("label:has-text('Browser gate')")
        page.click("main button[type=submit]")
        page.goto(base + "/people/new/")
        page.fill("#id_name", "Barack Obama")
        page.fill("#id_identity_id", "obama")
        page.check("label:has-text('Staff')")
        page.set_input_files("#id_photo_file", str(FACES / "enroll" / "obama" / "1.jpg"))
        page.click("main button[type=submit]")
        page.wait_for_selector("h1:has-text('Barack Obama')")
        shot(page, "04-person-created")

        # The enrolment on the running agent turns green.
        deadline = time.monotonic() + 60
        while "enrolled" not in page.inner_text("#placements"):
            assert time.monotonic() < deadline, "the enrolment did not succeed"
            time.sleep(0.5)
            page.reload()
        shot(page, "05-enrolled")

        # A live event appears on the events page without a reload.
        page.goto(base + "/events/")
        page.wait_for_function("document.body.dataset.live === 'connected'")
        photo = base64.b64encode((FACES / "probe" / "obama" / "2.jpg").read_bytes()).decode()
        api = create_app(agent, "k").test_client()
        assert api.post("/SophonFogSys/api/recognize", json={"image": photo},
                        headers={"X-API-Key": "k"}).status_code == 200
        try:
            row = page.wait_for_selector("#event-table tr.live-new", timeout=5_000)
        finally:
            shot(page, "06-live-event")
            assert page.script_errors == []
        assert "Barack Obama" in row.inner_text()
        shot(page, "06-live-event")

        # A blacklist match raises an alert on whatever page is open.
        page.goto(base + "/people/")
        page.wait_for_function("document.body.dataset.live === 'connected'")
        realtime = agent.session.platform_url(agent.session.reply["realtimeAddr"])
        import requests

        requests.post(realtime, timeout=5, json={
            "identity_id": "mallory", "identity_name": "Mallory", "group_name": "default_group",
            "timestamp": int(time.time() * 1000), "score": 0.8, "reg_pic": "",
            "ext_data": {"person_type": 3, "device_ip": "10.0.0.2", "grab_fiqa_info": {}, "box_fiqa_info": {}}
        }).raise_for_status()
        alert = page.wait_for_selector("#live-alerts .alert-danger", timeout=5_000)
        assert "Mallory" in alert.inner_text()
        shot(page, "07-blacklist-alert")
    finally:
        agent.stop(10)

    # The agent stopped: after three silent status periods the box turns offline, live.
    page.goto(base + f"/boxes/{box.pk}/")
    page.wait_for_selector(f"[data-box-state='{box.pk}'] :text('offline')", timeout=15_000)
    shot(page, "08-box-offline")
