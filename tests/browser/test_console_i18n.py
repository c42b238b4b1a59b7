"""The console in Chromium in both languages and both themes (issue 12 items 6 and 7): the
browser's language picks Chinese, the language menu switches, the theme follows the system and
its menu, no main page scrolls sideways at 390 px, a photo check's report shows itself.

Screenshots of every main page in both languages and both themes at 1366 px, and in the light
theme at 390 px (the login page in both), are kept in var/test/screenshots/i18n/ (the suite's
artefacts, not committed)."""
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from distribution.models import Command
from events.models import Event
from tests.browser.chromium import launch, needs_chromium
from tests.test_i18n import build_site
from users.models import Person

SHOTS = Path(settings.BASE_DIR) / "var" / "test" / "screenshots" / "i18n"
PASSWORD = "correct horse battery"
WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
# One unbroken word longer than a phone is wide: it must wrap, not widen the page.
LONG_NAME = "Reception-" + "x" * 70

pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
    needs_chromium,
]


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def site(asgi_server, make_box, admin_user):
    built = build_site(make_box)
    built["long_box"] = make_box(LONG_NAME)
    built["long_person"] = Person.objects.create(identity_id="L-" + "9" * 60, name="Long " + LONG_NAME, person_type=2)
    return built


def open_page(browser, base: str, locale: str, scheme: str, shots: str = ""):
    """A logged-in page in a browser speaking `locale` on a system in `scheme`; every script
    error (a CSP refusal included) is collected in page.problems. With `shots`, the login page
    is screenshotted at both widths under that prefix."""
    context = browser.new_context(locale=locale, color_scheme=scheme, viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.goto(base + "/login/")
    if shots:
        page.screenshot(path=str(SHOTS / f"{shots}-1366-login.png"), full_page=True)
        page.set_viewport_size(PHONE)
        assert sideways_overflow(page) <= 0
        page.screenshot(path=str(SHOTS / f"{shots}-390-login.png"), full_page=True)
        page.set_viewport_size(WIDE)
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("#nav")
    return page


def main_pages(site: dict) -> dict[str, str]:
    box, person = site["box"], site["person"]
    return {
        "boxes": "/boxes/", "box": f"/boxes/{box.pk}/", "box-long": f"/boxes/{site['long_box'].pk}/",
        "box-new": "/boxes/new/", "people": "/people/", "person": f"/people/{person.pk}/",
        "person-long": f"/people/{site['long_person'].pk}/", "person-edit": f"/people/{person.pk}/edit/",
        "import": "/people/import/", "groups": "/groups/", "group-new": "/groups/new/", "events": "/events/",
        "event": f"/events/{site['event'].pk}/", "quarantine": "/events/quarantine/", "commands": "/commands/",
        "command": f"/commands/{site['command'].pk}/", "fiqa": "/fiqa/", "password": "/account/password/",
        "not-found": "/boxes/999999/",
    }


def sideways_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("locale,language,word", [("zh-CN", "zh-hans", "盒子"), ("en-US", "en", "Boxes")])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_main_page_in_both_languages_and_themes(browser, asgi_server, site, locale, language, word, scheme):
    page = open_page(browser, asgi_server.url, locale, scheme, shots=f"{language}-{scheme}")
    overflowing = {}
    for name, path in main_pages(site).items():
        page.set_viewport_size(WIDE)
        page.goto(asgi_server.url + path)
        assert page.get_attribute("html", "lang") == language, path
        assert page.get_attribute("html", "data-bs-theme") == scheme, path  # the system's choice
        assert word in page.inner_text("nav.navbar"), path
        page.screenshot(path=str(SHOTS / f"{language}-{scheme}-1366-{name}.png"), full_page=True)
        if scheme == "light":  # the theme changes colours, not the layout: the phone width once
            page.set_viewport_size(PHONE)
            page.wait_for_timeout(50)
            if sideways_overflow(page) > 0:
                overflowing[path] = sideways_overflow(page)
            page.screenshot(path=str(SHOTS / f"{language}-{scheme}-390-{name}.png"), full_page=True)
        if name == "not-found":  # the browser reports the page's own 404 status as an error
            page.problems = [problem for problem in page.problems if "404 (Not Found)" not in problem]
    assert overflowing == {}
    assert page.problems == []
    page.context.close()


def test_the_language_menu_switches_the_console(browser, asgi_server, site):
    page = open_page(browser, asgi_server.url, "zh-CN", "light")
    page.goto(asgi_server.url + "/people/")
    assert page.get_attribute("html", "lang") == "zh-hans" and "新建人员" in page.inner_text("main")
    page.click("#language-menu .dropdown-toggle")
    page.click("#language-menu button[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.url.endswith("/people/") and "New person" in page.inner_text("main")
    page.goto(asgi_server.url + "/boxes/")  # remembered, whatever the browser asks for
    assert page.get_attribute("html", "lang") == "en"
    page.click("#language-menu .dropdown-toggle")
    page.click("#language-menu button[value=zh-hans]")
    page.wait_for_selector("html[lang=zh-hans]")
    assert "新建盒子" in page.inner_text("main")
    assert page.problems == []


def test_the_theme_follows_the_system_and_the_menu(browser, asgi_server, site):
    page = open_page(browser, asgi_server.url, "en-US", "light")
    page.goto(asgi_server.url + "/boxes/")
    assert page.get_attribute("html", "data-bs-theme") == "light"
    page.click("#theme-toggle")
    page.click("[data-theme-choice=dark]")
    assert page.get_attribute("html", "data-bs-theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.reload()
    assert page.get_attribute("html", "data-bs-theme") == "dark"  # kept in localStorage
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background != "rgb(248, 249, 250)"
    page.click("#theme-toggle")
    page.click("[data-theme-choice=auto]")
    assert page.get_attribute("html", "data-bs-theme") == "light"
    page.emulate_media(color_scheme="dark")  # the system changes its mind: the page follows
    page.locator("html[data-bs-theme=dark]").wait_for(state="attached")
    assert page.problems == []


def test_keyboard_users_can_skip_to_the_content(browser, asgi_server, site):
    page = open_page(browser, asgi_server.url, "zh-CN", "light")
    page.goto(asgi_server.url + "/events/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    assert page.is_visible(".skip-link") and page.inner_text(".skip-link") == "跳到正文"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.get_attribute("nav.navbar a[aria-current=page]", "href") == "/events/"


def test_a_photo_checks_report_shows_itself_when_it_arrives(browser, asgi_server, site):
    page = open_page(browser, asgi_server.url, "zh-CN", "light")
    fiqa = site["fiqa"]
    page.goto(asgi_server.url + f"/commands/{fiqa.pk}/")
    assert "正在等待盒子的报告" in page.inner_text("#fiqa-report")
    Command.objects.filter(pk=fiqa.pk).update(state=Command.State.DONE, finished_at=timezone.now(), result={
        "result": {"data": [{"bbox": [10, 20, 110, 140], "fiqa_result": True, "success": ["face_size"], "fails": [],
                             "info": {"face_size": 120, "clarity": 0.8}}]}})
    page.wait_for_selector("#fiqa-report:not([data-refresh-while-waiting]) h2", timeout=10_000)
    assert "质量报告" in page.inner_text("#fiqa-report") and "合格" in page.inner_text("#fiqa-report")
    page.screenshot(path=str(SHOTS / "zh-hans-light-1366-fiqa-report-arrived.png"), full_page=True)
    assert page.problems == []


def test_a_non_staff_account_sees_why_in_the_console(browser, asgi_server, django_user_model, db):
    django_user_model.objects.create_user("guard", password=PASSWORD)
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(asgi_server.url + "/login/")
    page.fill("#id_username", "guard")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(asgi_server.url + "/boxes/")
    assert "此控制台仅供操作员使用" in page.inner_text("#refusal-reason")
    assert sideways_overflow(page) <= 0
    page.screenshot(path=str(SHOTS / "zh-hans-light-390-403.png"), full_page=True)
    assert Event.objects.count() == 0  # nothing of the site was needed to say why
