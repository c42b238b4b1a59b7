"""The audit trail in a real browser (issue 16 item 4): an administrator renames a box, opens the
audit trail from the user menu (the navigation bar keeps one row at 1280 px) and reads who
changed what from where, before and after; the filters and the export link follow."""
from tests.browser.chromium import SHOTS, needs_chromium

PASSWORD = "correct horse battery"

pytestmark = [needs_chromium]


def test_a_change_shows_in_the_audit_trail_opened_from_the_user_menu(browser_page, asgi_server, admin_user,
                                                                      make_box):
    page, base = browser_page, asgi_server.url
    box = make_box("north gate")
    page.goto(base + f"/boxes/{box.pk}/edit/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#id_name", "main gate")
    page.click("main button[type=submit]")
    page.locator("h1", has_text="main gate").wait_for()

    page.click("#user-menu button")
    page.click("#audit-link")
    page.locator("h1", has_text="Audit trail").wait_for()
    row = page.locator("#audit-table tbody tr").first
    assert "admin" in row.inner_text() and "127.0.0.1" in row.locator("[data-address]").inner_text()
    assert row.locator("[data-before]").inner_text() == "north gate"
    assert row.locator("[data-after]").inner_text() == "main gate"
    brand, menu = page.locator(".navbar-brand").bounding_box(), page.locator("#user-menu").bounding_box()
    assert abs(brand["y"] - menu["y"]) < brand["height"], "the navigation bar wraps"

    page.select_option("#kind", "devices.box")
    page.select_option("#action", "update")
    page.click("#audit-filters button[type=submit]")
    page.locator("#audit-table tbody tr[data-entry-id]").first.wait_for()
    assert page.locator("#audit-table tbody tr[data-entry-id]").count() == 1
    assert "kind=devices.box" in page.locator("#audit-export").get_attribute("href")
    page.screenshot(path=str(SHOTS / "audit-trail.png"), full_page=True)
    assert page.script_errors == []
