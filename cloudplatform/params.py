"""Reading filter values from query strings: unparseable values mean "no filter", never a 500."""
from __future__ import annotations


def as_int(value) -> int | None:
    """A whole number from a query parameter, or None when it is absent or not one."""
    text = str(value).strip() if value is not None else ""
    if not text or not text.lstrip("-").isdigit() or len(text) > 18:
        return None
    return int(text)

