"""The event filters' form (its fields come from events.filters.EventFilterSet, the one
definition for the console page, its CSV export and /api/events/).

Days are days of the site's time zone (settings.TIME_ZONE, the zone every page shows):
From is the start of its day, Until the end of its day (so From = Until = today is today).
A moment (ISO 8601, with or without an offset; without one it is read in the site's zone)
counts as given, both ends included. Anything else is a form error, never "no filter".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from devices.selectors import boxes_within

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Bound:
    """One end of the time range, in UTC; a day's Until is the next midnight, excluded."""

    moment: datetime
    inclusive: bool = True


class MomentField(forms.Field):
    """A day (YYYY-MM-DD) or a moment (ISO 8601); `end` makes a day mean its end."""

    default_error_messages = {
        "invalid": _("Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM:SS, optionally with an offset)."),
        "no_day": _("%(value)s is not a day of the calendar."),
    }

    def __init__(self, *, end: bool = False, **kwargs) -> None:
        self.end = end
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> Bound | None:
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > 40 or "\x00" in text:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            if DAY.fullmatch(text):
                return self._day(text)
            moment = parse_datetime(text)
        except ValueError:  # well-formed but not a date, such as 2026-13-45T10:00
            moment = None
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return Bound(self._utc(moment, text))

    def _day(self, text: str) -> Bound:
        try:
            day = date.fromisoformat(text)
            start = datetime.combine(day + timedelta(days=1) if self.end else day, time.min)
        except (ValueError, OverflowError) as exc:
            raise forms.ValidationError(self.error_messages["no_day"], code="no_day",
                                        params={"value": text}) from exc
        return Bound(self._utc(start, text), inclusive=not self.end)

    def _utc(self, moment: datetime, text: str) -> datetime:
        try:
            aware = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
            # In UTC: databases refuse some offsets a client may send (PostgreSQL: beyond ±15:59).
            return aware.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["no_day"], code="no_day",
                                        params={"value": text}) from exc


class EventFilterForm(forms.Form):
    """The form of events.filters.EventFilterSet, which gives it its fields (one per filter)."""

    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and (until.moment < since.moment
                                or (until.moment == since.moment and not until.inclusive)):
            self.add_error("until", _("Until is before From."))
        return cleaned

    def live_filter(self) -> dict:
        """The valid filters as the page's script checks live events against them."""
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        area = data.get("area")
        return {"q": data.get("q") or "", "box": data.get("box"), "type": data.get("type"),
                "boxes": None if area is None else sorted(boxes_within([area.pk]).values_list("pk", flat=True)),
                "ep_id": data.get("ep_id") or "", "identity_id": data.get("identity_id") or "",
                "since": since.moment.isoformat() if since else None,
                "until": until.moment.isoformat() if until else None,
                "until_inclusive": until.inclusive if until else True}
