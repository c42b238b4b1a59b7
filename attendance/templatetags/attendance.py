"""How attendance pages show durations and clock times."""
from __future__ import annotations

from datetime import date, datetime

from django import template

register = template.Library()


@register.filter
def hours(minutes: int | None) -> str:
    """Minutes as H:MM (a day's presence, a month's total)."""
    if not minutes:
        return "0:00"
    return f"{minutes // 60}:{minutes % 60:02d}"


@register.simple_tag
def clock(moment: datetime | None, day: date) -> str:
    """HH:MM of a time already in the site's zone, with (+1) when it falls on the next day (an
    overnight shift's departure)."""
    if moment is None:
        return ""
    shift = (moment.date() - day).days
    suffix = f" ({shift:+d})" if shift else ""
    return moment.strftime("%H:%M") + suffix
