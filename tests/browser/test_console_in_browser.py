"""The console in a real browser (Debian's Chromium through Playwright), against the real
ASGI server, broker, face models and an edge agent. Screenshots of every step are kept in
var/test/screenshots/ (the suite's artefacts)."""
import base64
import os
import threading
import time

import pytest

from devices.models import Box
from devices.tasks import mark_silent_boxes_offline
from edge_agent.api.app import create_app
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig
from tests.browser.chromium import SHOTS, launch, needs_chromium
from tests.fakebox import drain_results
from tests.paths import FACES

PASSWORD = "correct horse battery"

pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
    needs_chromium,
]


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

    agent = EdgeBox(BoxConfig(tmp_path / "box", dev_sno=box.dev_sno, login_url=base + "/box/login",
                              mac="0x0000b0b0b0b0"))
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
        page.locator("body[data-live=connected]").wait_for(state="attached")
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
        page.locator("body[data-live=connected]").wait_for(state="attached")
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


@pytest.fixture(params=["en-US", "zh-CN"])
def shanghai_page(request, admin_user, asgi_server):
    """A logged-in browser in Asia/Shanghai (the platform's zone stays UTC), in English or Chinese."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="Asia/Shanghai",
                                      locale=request.param)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and page.script_errors.append(message.text))
        page.goto(asgi_server.url + "/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(asgi_server.url + "/boxes/")
        page.language = request.param
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_live_rows_follow_the_filters_and_read_like_the_server_rendered_ones(shanghai_page, asgi_server, make_box):
    """Issue 12 items 2 and 3 in a browser whose zone is not the site's: a filtered page keeps
    receiving the live events that match (and only those), a live row's time reads exactly as
    the same row rendered by the server after a reload, and per-box counts follow live."""
    from devices.models import SubDevice
    from events.models import Event
    from events.services import intake_events
    from events.templatetags.console import moment_text
    from tests.helpers import event

    page, base, lang = shanghai_page, asgi_server.url, shanghai_page.language
    box = make_box("Filter gate")
    SubDevice.objects.create(box=box, ep_id="X__192.168.1.25", ip="192.168.1.25", name="East turnstile",
                             location="Lobby", status="online", device_type=0)
    now_ms = int(time.time() * 1000)
    intake_events(box, [event("earlier", now_ms - 60_000, person_type=3)])  # rendered by the server
    today = time.strftime("%Y-%m-%d", time.gmtime())  # the site's zone is UTC
    page.goto(f"{base}/events/?type=3&since={today}&until={today}")
    page.locator("body[data-live=connected]").wait_for(state="attached")
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "Asia/Shanghai"
    assert page.get_attribute("html", "lang") == {"en-US": "en", "zh-CN": "zh-hans"}[lang]
    assert page.get_attribute("body", "data-time-zone") == "UTC"
    blacklist_before = int(page.inner_text(f"#per-box tr[data-box='{box.pk}'] .blacklist"))

    # A staff event (filtered out), then a blacklist one (kept): messages arrive in order.
    photo = (FACES / "probe" / "obama" / "2.jpg").read_bytes()
    intake_events(box, [event("staff-1", now_ms - 1_000, photo, person_type=1)])
    intake_events(box, [event("mallory", now_ms, photo, person_type=3)])
    kept = Event.objects.get(identity_id="mallory")
    try:
        live_row = page.wait_for_selector(f"#event-table tr.live-new[data-event-id='{kept.pk}']", timeout=5_000)
    finally:
        shot(page, f"10-filtered-live-{lang}")
    assert page.query_selector(f"tr[data-event-id='{Event.objects.get(identity_id='staff-1').pk}']") is None
    assert page.locator(f"#per-box tr[data-box='{box.pk}'] .blacklist").inner_text() == str(blacklist_before + 1)
    live_time = live_row.query_selector("time")
    live_text, live_instant = live_time.inner_text(), live_time.get_attribute("datetime")
    assert live_text == moment_text(kept.occurred_at)  # the site's zone (UTC), not the browser's
    assert "East turnstile" in live_row.inner_text() and "Lobby" in live_row.inner_text()

    page.reload()
    server_time = page.wait_for_selector(f"#event-table tr[data-event-id='{kept.pk}'] time")
    assert (server_time.inner_text(), server_time.get_attribute("datetime")) == (live_text, live_instant)
    earlier = page.query_selector(f"#event-table tr[data-event-id='{Event.objects.get(identity_id='earlier').pk}']")
    assert earlier is not None
    assert page.inner_text("#site-zone").count("UTC") >= 1
    shot(page, f"11-events-{lang}")
    assert page.script_errors == []

    # The event's own page, from the row; then the box page (the box is offline: camera unknown).
    page.click(f"#event-table tr[data-event-id='{kept.pk}'] a.event-time")
    page.wait_for_selector("#spot-picture img")
    assert page.inner_text("#event-facts time") == live_text
    shot(page, f"12-event-detail-{lang}")
    page.goto(f"{base}/boxes/{box.pk}/")
    assert "online" not in page.inner_text("#sub-devices")
    shot(page, f"13-box-{lang}")
    # On a phone (390 px) the new pages scroll only downwards.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in ((f"/events/{kept.pk}/", "event-detail"), (f"/boxes/{box.pk}/", "box"),
                       (f"/events/?type=3&since={today}", "events")):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        shot(page, f"14-{name}-390-{lang}")
    assert page.script_errors == []
