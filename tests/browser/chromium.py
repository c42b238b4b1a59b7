"""Where the browser tests find Chromium and keep their screenshots."""
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(settings.VAR_DIR) / "screenshots"
# In CI a missing Chromium is a failure (make setup installs it); elsewhere the tests skip.
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                                    reason="Chromium not installed (make setup installs it)")
# Nothing in the background reaches for the network (there is none in CI).
QUIET_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def launch(playwright):
    """Debian's Chromium, headless, through Playwright (never a browser Playwright downloads)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
