"""The documented production configuration passes Django's deployment check; CSP is always sent."""
import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import Client

REPO = Path(__file__).resolve().parents[2]


def documented_production_settings() -> dict[str, str]:
    text = (REPO / "docs" / "deployment.md").read_text()
    block = re.search(r"<!-- production-settings -->\s*```sh\n(.*?)```", text, re.S).group(1)
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def test_documented_production_configuration_has_no_security_warning(tmp_path):
    env = {**os.environ, **documented_production_settings(), "VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "cloudplatform.settings"}
    check = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120)
    assert "security." not in check.stdout + check.stderr, check.stdout + check.stderr


def test_default_configuration_does_warn(tmp_path):
    """The check itself is live: without the production settings it names what is missing."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "cloudplatform.settings"}
    for name in documented_production_settings():
        env.pop(name, None)
    check = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120)
    assert "security.W004" in check.stdout + check.stderr


def test_console_pages_carry_a_content_security_policy(db):
    policy = Client().get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
