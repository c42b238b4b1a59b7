"""Roles in a real browser (issue 16 item 3): a site manager of site A logs in and finds nothing of
site B: not its box in the box list, not its events on the events page, not even live."""
import time

from events.models import Event
from events.services import intake_events
from tests.browser.chromium import SHOTS, needs_chromium
from tests.helpers import event
from tests.roles_world import PASSWORD

pytestmark = [needs_chromium]


def test_a_site_manager_sees_nothing_of_another_site(browser_page, asgi_server, world):
    page, base = browser_page, asgi_server.url
    page.goto(base + "/boxes/")
    page.fill("#id_username", world.manager.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.locator("#box-table", has_text="Alpha gate").wait_for()
    boxes = page.inner_text("main")
    assert "Bravo gate" not in boxes and "Harbour" not in boxes and "Campus" in boxes

    page.goto(base + "/events/")
    page.locator("body[data-live=connected]").wait_for(state="attached")
    assert "Alice Alpha" in page.inner_text("#event-table") and "Bravo" not in page.inner_text("main")

    # New passages at both sites: A's shows up live, B's never does (B's first, so it had its chance).
    now_ms = int(time.time() * 1000)
    intake_events(world.box_b, [event("bravo-7", now_ms - 2_000)])
    intake_events(world.box_a, [event("alpha-1", now_ms)])
    fresh_a = Event.objects.filter(box=world.box_a).latest("id")
    page.wait_for_selector(f"#event-table tr.live-new[data-event-id='{fresh_a.pk}']", timeout=5_000)
    fresh_b = Event.objects.filter(box=world.box_b).latest("id")
    assert page.query_selector(f"tr[data-event-id='{fresh_b.pk}']") is None
    assert "Bravo" not in page.inner_text("main")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "roles-site-manager-events.png"), full_page=True)
    assert page.script_errors == []
