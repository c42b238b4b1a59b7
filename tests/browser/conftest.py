"""What the browser tests share: Debian's Chromium through Playwright (never a downloaded browser)."""
import os

import pytest

from tests.browser.chromium import SHOTS, launch


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and page.script_errors.append(message.text))
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
