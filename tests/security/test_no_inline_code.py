"""The console runs under a CSP without 'unsafe-inline': no template may rely on inline code.

Inline <script> blocks, style="" attributes and on*="" handlers would be blocked in the
browser (silently breaking a page), so none may exist; behaviour lives in static/js.
"""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
}


def test_templates_hold_no_inline_code():
    found = [f"{path.relative_to(TEMPLATES)}:{number}: {what}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for number, line in enumerate(path.read_text().splitlines(), start=1)
             for what, pattern in INLINE.items() if pattern.search(line)]
    assert found == []
