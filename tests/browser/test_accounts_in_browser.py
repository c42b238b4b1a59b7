"""Operator accounts in a real browser (issue 16 item 3): an administrator invites a viewer from the
user menu, copies the one-time link the page shows, and the viewer opens it in their own browser,
chooses a password, logs in and reads the console without the buttons that change things."""
from tests.browser.chromium import SHOTS, needs_chromium

PASSWORD = "correct horse battery"
VIEWER_PASSWORD = "a fresh long phrase 42"

pytestmark = [needs_chromium]


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")


def test_an_administrator_invites_a_viewer_who_logs_in_through_the_link(browser_page, asgi_server, admin_user,
                                                                        make_box):
    page, base = browser_page, asgi_server.url
    make_box("north gate")
    log_in(page, base, "admin", PASSWORD)
    page.locator("h1", has_text="Boxes").wait_for()

    page.click("#user-menu > button")
    page.click("#operators-link")
    page.click("#new-operator")
    page.fill("#id_username", "mei")
    page.fill("#id_name", "Li Mei")
    page.select_option("#id_role", "viewer")
    page.click("#operator-form button[type=submit]")
    link = page.locator("#set-password-link-value").input_value()
    assert "/account/set-password/" in link
    page.screenshot(path=str(SHOTS / "accounts-invite-link.png"), full_page=True)
    assert page.script_errors == []

    viewer = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    viewer.set_default_timeout(15_000)
    viewer.goto(link)
    viewer.fill("#id_new_password1", VIEWER_PASSWORD)
    viewer.fill("#id_new_password2", VIEWER_PASSWORD)
    viewer.click("main button[type=submit]")
    viewer.locator(".alert-success", has_text="Password set").wait_for()
    log_in(viewer, base, "mei", VIEWER_PASSWORD)
    viewer.locator("h1", has_text="Boxes").wait_for()
    assert "north gate" in viewer.locator("main").inner_text()
    assert viewer.locator("#user-menu > button").inner_text().strip() == "mei"
    viewer.click("#user-menu > button")
    assert viewer.locator("#operators-link").count() == 0  # a viewer manages no operators
    viewer.goto(link)  # the link worked once
    viewer.locator("#link-refused").wait_for()

    page.goto(base + "/operators/")
    row = page.locator("#operator-table tr", has_text="mei")
    assert "Viewer" in row.inner_text() and "enabled" in row.inner_text()
