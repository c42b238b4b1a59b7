"""Issue 12 items 2-4 in Chromium against the Procfile's separate processes (web, worker, beat,
results consumer; no Redis), driven by the stock box written from the upstream documents.

The browser is in Asia/Shanghai while the site keeps its default TIME_ZONE (UTC): one clock
means every time reads in the site's zone, live or rendered by the server. Each check runs in
English and in Chinese (the browser's locale sets Accept-Language). One platform for the suite (tests/conftest.py).

Screenshots: SHOTS/truth/ (tests/browser/chromium.py)."""
from __future__ import annotations

import base64
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.chromium import SHOTS, launch, needs_chromium
from tests.contract.platform_processes import ADMIN_PASSWORD, ADMIN_USER, Platform
from tests.contract.stock_box import StockBox, history_event, status_report
from tests.paths import FACES

pytestmark = [needs_chromium]

TRUTH_SHOTS = SHOTS / "truth"
LOCALES = ["en-US", "zh-CN"]
BAD_DAY = "2026-13-45"
# What an operator reads, per browser locale (locale/zh_Hans/LC_MESSAGES catalogs).
WORDS = {
    "en-US": {
        "lang": "en", "zone": "Times are shown in UTC (UTC+00:00).", "live": "● live",
        "no_day": f"{BAD_DAY} is not a day of the calendar.", "correct": "Correct the filters above to see events.",
        "wiped": "wipe_data sent, then 1 command sending its people again.", "enrolled": "enrolled",
        "pending": "pending", "not_sent": "not sent", "nobody": "Nobody yet", "online": "online",
        "offline": "offline", "unknown": "unknown",
    },
    "zh-CN": {
        "lang": "zh-hans", "zone": "时间以 UTC (UTC+00:00) 显示。", "live": "● 实时",
        "no_day": f"{BAD_DAY} 不是日历上存在的日期。", "correct": "请修正上方的筛选条件以查看识别事件。",
        "wiped": "已发送 wipe_data，随后排队 1 条命令重新下发其人员。", "enrolled": "已注册",
        "pending": "待处理", "not_sent": "未下发", "nobody": "还没有人员", "online": "在线",
        "offline": "离线", "unknown": "未知",
    },
}
STAFF, BLACKLIST = 1, 3  # upstream person_type


def now_ms() -> int:
    return int(time.time() * 1000)


def utc_text(timestamp_ms: int) -> tuple[str, str]:
    """(text, datetime attribute) of a <time> for this instant in the site's zone (UTC), to the second."""
    moment = datetime.fromtimestamp(timestamp_ms // 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment.isoformat()


def shot(page, name: str) -> None:
    page.screenshot(path=str(TRUTH_SHOTS / f"{name}.png"), full_page=True)


# --- fixtures: one platform, one Chromium, a fresh context per test and locale ---

@pytest.fixture(scope="module")
def platform(platform_processes: Platform) -> Platform:
    # Beat checks silence every second; boxes created with a 1 s status period go offline in ~3 s.
    return platform_processes


@pytest.fixture(autouse=True)
def logs_on_failure(request, platform: Platform) -> Iterator[None]:
    """A failed check prints the end of every process log (a live update lost, a task that failed)."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:  # past the capture: the call's report is written
        sys.__stderr__.write(f"\n{request.node.name}: {platform.log_tails(40)}\n")


@pytest.fixture(scope="module")
def event_box(platform: Platform) -> StockBox:
    """A box of this file's own (default periods), logged in: it uploads history events."""
    made = platform.api("POST", "/api/boxes/", json={"name": "Truth events"})
    assert made.status_code == 201, made.text
    platform.box_ids.append(made.json()["id"])
    box = StockBox(login_url=platform.login_url, dev_sno=made.json()["dev_sno"], hex_mac="0xe0a509000001",
                   box_id=made.json()["id"])
    box.login()
    return box


@pytest.fixture(scope="module")
def gate_boxes(platform: Platform) -> dict[str, dict]:
    """One box per locale with a 1 s status period (created together: each manage.py pays Django's start)."""
    outputs = platform.manage_many([["create_box", "--name", f"Gate {locale}", "--device-monitor-period", "1"]
                                    for locale in LOCALES])
    boxes = {}
    for locale, out in zip(LOCALES, outputs, strict=True):
        boxes[locale] = json.loads(out.strip().splitlines()[-1])
        platform.box_ids.append(boxes[locale]["id"])
    return boxes


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    TRUTH_SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(params=LOCALES)
def page(request, chromium, platform: Platform):
    """A logged-in administrator's page, browser in Asia/Shanghai speaking `request.param`."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, timezone_id="Asia/Shanghai",
                                   locale=request.param)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.tag, page.words = request.param, WORDS[request.param]
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.script_errors.append(message.text))
    page.goto(platform.url("/login/"))
    page.fill("#id_username", ADMIN_USER)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(platform.url("/boxes/"))
    assert page.get_attribute("html", "lang") == page.words["lang"]
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:
        shot(page, f"failed-{request.node.name}")
    context.close()


def open_live(page, url: str):
    """Open `url` and wait until its console WebSocket is connected; returns the response."""
    response = page.goto(url)
    page.locator("body[data-live=connected]").wait_for()
    return response


def arrives(locator, what: str, timeout: float = 10) -> float:
    """Seconds until `locator` is on the page (printed: the issue asks for 2 s; the wait allows
    more, as other test runs share this machine's two cores)."""
    started = time.monotonic()
    locator.wait_for(timeout=timeout * 1000)
    waited = time.monotonic() - started
    print(f"live: {what} after {waited:.2f} s")
    return waited


def upload(box: StockBox, *events: dict) -> None:
    """The box's history upload (02 §4.4.9 body) to its recordAddr; every address takes it."""
    for response in box.upload_history(list(events)):
        assert response.ok, f"{response.status_code} {response.text[:300]}"
        body = response.json() if response.content else {}
        assert not (isinstance(body, dict) and "error" in body), body


def event_id(platform: Platform, identity_id: str) -> int:
    found = platform.api("GET", "/api/events/", params={"identity_id": identity_id}).json()["results"]
    assert len(found) == 1, found
    return found[0]["id"]


# --- item 2: one clock ---

def test_a_live_row_reads_the_same_time_as_the_server_rendered_one(page, platform, event_box):
    words, tag = page.words, page.tag
    open_live(page, platform.url("/events/"))
    assert page.get_attribute("body", "data-time-zone") == "UTC"  # the site's default, not the browser's
    assert page.inner_text("#live-state") == words["live"]

    sent = now_ms()
    spot = base64.b64encode((FACES / "probe/kit_harington/1.jpg").read_bytes()).decode()
    identity = f"clock-{tag}"
    upload(event_box, history_event(event_box.dev_sno, identity, "Kit Harington", sent, person_type=STAFF,
                                    spot_pic=spot))
    live_row = page.locator(f"#event-table tr.live-new:has-text('{identity}')")
    arrives(live_row, f"event row ({tag})")
    shot(page, f"item2-live-row-{tag}")
    live_time = live_row.locator("time")
    live = (live_time.inner_text(), live_time.get_attribute("datetime"))
    assert live == utc_text(sent)  # the site's zone: 8 h behind what Shanghai's own clock would say
    pk = live_row.get_attribute("data-event-id")

    page.reload()
    server_row = page.locator(f"#event-table tr[data-event-id='{pk}']")
    assert "live-new" not in (server_row.get_attribute("class") or "")
    server_time = server_row.locator("time")
    assert (server_time.inner_text(), server_time.get_attribute("datetime")) == live
    assert page.inner_text("#site-zone").strip() == words["zone"]
    shot(page, f"item2-reloaded-{tag}")

    page.click(f"#event-table tr[data-event-id='{pk}'] a.event-time")  # the event's own page, same clock
    assert page.inner_text("#event-facts time") == live[0]
    assert page.script_errors == []


# --- item 3: filters that filter ---

def test_filters_are_days_of_the_site_reject_bad_input_and_keep_live_rows_that_match(page, platform, event_box):
    words, tag = page.words, page.tag
    sent = now_ms()
    today = datetime.fromtimestamp(sent / 1000, UTC).strftime("%Y-%m-%d")  # a day of the site's zone
    upload(event_box, history_event(event_box.dev_sno, f"early-{tag}", "Early Bird", sent - 5_000, person_type=STAFF))
    early = event_id(platform, f"early-{tag}")

    # From = Until = today: today's events (the Until day is included).
    assert page.goto(platform.url(f"/events/?since={today}&until={today}")).status == 200
    assert page.locator(f"#event-table tr[data-event-id='{early}']").count() == 1
    assert page.locator("#event-table .empty-row").count() == 0

    # A day that is not one: a form error on the page, 400 on the export and on the API.
    response = page.goto(platform.url(f"/events/?since={BAD_DAY}"))
    assert response.status == 400
    assert page.inner_text("#since ~ .invalid-feedback") == words["no_day"]
    assert page.inner_text("#event-table .empty-row") == words["correct"]
    shot(page, f"item3-bad-day-{tag}")
    # Chromium logs the page's own 400 as a console error: the one error this step expects.
    assert page.script_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.script_errors.clear()
    assert page.request.get(platform.url(f"/events/export.csv?since={BAD_DAY}")).status == 400
    api = platform.api("GET", "/api/events/", params={"since": BAD_DAY}, headers={"Accept-Language": tag})
    assert api.status_code == 400 and api.json() == {"since": [words["no_day"]]}

    # Filtered to blacklist today: a staff event stays out, a blacklist one arrives live.
    open_live(page, platform.url(f"/events/?type={BLACKLIST}&since={today}&until={today}"))
    counts = page.locator(f"#per-box tr[data-box='{event_box.box_id}']")
    total, blacklisted = int(counts.locator(".count").inner_text()), int(counts.locator(".blacklist").inner_text())
    upload(event_box, history_event(event_box.dev_sno, f"staff-{tag}", "Walks By", now_ms(), person_type=STAFF))
    upload(event_box, history_event(event_box.dev_sno, f"black-{tag}", "Mallory", now_ms(), person_type=BLACKLIST))
    arrives(page.locator(f"#event-table tr.live-new:has-text('black-{tag}')"), f"filtered event row ({tag})")
    expect(counts.locator(".count")).to_have_text(str(total + 2))  # both events reached the page
    expect(counts.locator(".blacklist")).to_have_text(str(blacklisted + 1))
    assert page.locator(f"#event-table tr:has-text('staff-{tag}')").count() == 0
    assert page.locator("#live-alerts .alert-danger").filter(has_text=f"black-{tag}").count() == 1
    assert page.input_value("#type") == str(BLACKLIST) and page.input_value("#since") == today
    shot(page, f"item3-filtered-live-{tag}")

    page.reload()  # the server's filter agrees with the live one
    assert page.locator(f"#event-table tr[data-event-id='{event_id(platform, f'black-{tag}')}']").count() == 1
    assert page.locator(f"#event-table tr[data-event-id='{event_id(platform, f'staff-{tag}')}']").count() == 0
    assert page.script_errors == []


# --- item 4: states that agree ---

@contextmanager
def reporting_status(box: StockBox, period: float = 0.5) -> Iterator[None]:
    """The box reports its status (one camera online) every `period` s until the block ends."""
    stop = threading.Event()

    def report() -> None:
        while not stop.is_set():
            box.report_status(status_report(box.dev_sno))
            stop.wait(period)

    thread = threading.Thread(target=report, name="status-reports", daemon=True)
    box.report_status(status_report(box.dev_sno)).raise_for_status()
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def wait_enrolled(platform: Platform, identity_id: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        enrolments = platform.api("GET", f"/api/persons/{identity_id}/").json()["enrolments"]
        if [e["state"] for e in enrolments] == ["enrolled"]:
            return
        assert time.monotonic() < deadline, enrolments
        time.sleep(0.2)


def enrol(platform: Platform, box: StockBox, group: str, identity: str) -> int:
    """A group attached to the box, a person with a photo in it; the box enrols them. The person's id."""
    made = platform.api("POST", "/api/groups/", json={"name": group, "boxes": [box.dev_sno]})
    assert made.status_code == 201, made.text
    photo = base64.b64encode((FACES / "enroll/biden/1.jpg").read_bytes()).decode()
    person = platform.api("POST", "/api/persons/", json={
        "identity_id": identity, "name": "Joe Biden", "person_type": STAFF, "permission_groups": [group],
        "photo_base64": photo})
    assert person.status_code == 201, person.text
    first = box.serve(timeout=20)
    assert first is not None and first[0]["method"] == "add_users_plus"
    wait_enrolled(platform, identity)
    return person.json()["id"]


def assert_no_contradiction(page, words: dict) -> None:
    text = page.inner_text("main")
    assert words["nobody"] not in text and words["not_sent"] not in text
    assert page.locator("#missing-people, #unsent").count() == 0


def test_wipe_and_send_again_ends_enrolled_everywhere_and_an_offline_box_camera_is_not_online(
        page, platform, gate_boxes):
    words, tag = page.words, page.tag
    box_id, identity = gate_boxes[tag]["id"], f"gate-{tag}"
    box = StockBox(login_url=platform.login_url, dev_sno=gate_boxes[tag]["dev_sno"],
                   hex_mac=f"0xe0a50900aa0{LOCALES.index(tag)}")
    box.login()
    box.connect()
    cell_selector = f'[data-live="enrolment:{box_id}:{identity}"]'
    camera = page.locator(f'#sub-devices [data-camera-state="{box_id}"]')
    try:
        with reporting_status(box):
            person_id = enrol(platform, box, f"Gate staff {tag}", identity)
            open_live(page, platform.url(f"/boxes/{box_id}/"))
            expect(page.locator(cell_selector)).to_have_text(words["enrolled"])
            expect(camera).to_have_text(words["online"])  # reported online, box online

            page.on("dialog", lambda dialog: dialog.accept())
            with page.expect_navigation(url=platform.url(f"/boxes/{box_id}/")):
                page.click("#wipe-resend")  # confirmed; the POST redirects back to the box page
            assert words["wiped"] in page.inner_text("main .alert-success")
            # Until the box answers: pending on the send that follows the wipe, never "not sent".
            expect(page.locator(cell_selector)).to_have_text(words["pending"])
            assert_no_contradiction(page, words)
            shot(page, f"item4-wipe-sent-{tag}")
            page.locator("body[data-live=connected]").wait_for()

            answered = [box.serve(timeout=20), box.serve(timeout=20)]
            assert all(answered), answered
            assert [command["method"] for command, _ in answered] == ["wipe_data", "add_users_plus"]
            assert identity in box.gallery  # the box holds them again
            arrives(page.locator(f"{cell_selector} .text-bg-success"), f"enrolled again ({tag})")
            expect(page.locator(cell_selector)).to_have_text(words["enrolled"])
            wait_enrolled(platform, identity)

            page.reload()
            expect(page.locator(cell_selector)).to_have_text(words["enrolled"])
            assert_no_contradiction(page, words)
            shot(page, f"item4-box-enrolled-again-{tag}")
            page.goto(platform.url(f"/people/{person_id}/"))
            expect(page.locator(cell_selector)).to_have_text(words["enrolled"])
            assert_no_contradiction(page, words)
            shot(page, f"item4-person-enrolled-again-{tag}")
            open_live(page, platform.url(f"/boxes/{box_id}/"))
            expect(camera).to_have_text(words["online"])
        # Silent for 3 periods of 1 s: beat marks the box offline; its camera is no longer online.
        silent_since = time.monotonic()
        arrives(page.locator(f'[data-box-state="{box_id}"] .text-bg-light'), f"box offline ({tag})", timeout=15)
        print(f"live: offline {time.monotonic() - silent_since:.2f} s after the last status report")
        expect(page.locator(f'[data-box-state="{box_id}"]')).to_have_text(words["offline"])
        expect(camera).to_have_text(words["unknown"])
        page.reload()
        expect(camera).to_have_text(words["unknown"])
        assert camera.locator(".text-bg-success").count() == 0
        assert words["online"] not in page.inner_text("#sub-devices")
        shot(page, f"item4-box-offline-camera-{tag}")
    finally:
        box.close()
    assert page.script_errors == []
