"""Marks English labels for the console's translation catalogue without importing Django."""


def gettext_noop(text: str) -> str:
    """Returns `text` unchanged. `make messages` (xgettext) collects the literal strings passed
    here, so the console can translate a label with Django's gettext at display time."""
    return text
