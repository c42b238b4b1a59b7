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
