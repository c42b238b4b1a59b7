"""Attendance days from passages: pure functions, no database (attendance/selectors.py feeds them).

Each person's day is a window of 24 hours around their shift: it opens half the off-duty time
before the shift starts and closes half of it after the shift ends, so consecutive days never
overlap and an overnight shift (22:00–06:00) keeps its morning passages on the day it started.
A person without a shift, or on a day off, has the calendar day of the site's zone. Within the
window the first passage is the arrival and the last the departure.

Times are wall-clock times of the site's zone (settings.TIME_ZONE); instants are compared in UTC,
so a day that changes to or from daylight saving time still has its passages.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY = timedelta(days=1)


@dataclass(frozen=True)
class ShiftSpec:
    name: str
    start: time
    end: time
    grace_minutes: int = 0
    weekdays: frozenset[int] = frozenset(range(5))  # Python's weekday(): Monday 0

    @property
    def length(self) -> timedelta:
        """How long the shift lasts; an end not after the start is on the next day."""
        length = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        return length if length > timedelta(0) else length + DAY


@dataclass(frozen=True)
class CorrectionSpec:
    reason: str
    first_in: time | None = None
    last_out: time | None = None
    excused: bool = False
    made_by: str = ""
    made_at: datetime | None = None


@dataclass
class DayRow:
    """One person's day; first_in/last_out are in the site's zone."""

    person: object  # whatever the caller keys people by (a Person, an id)
    day: date
    shift: str = ""
    workday: bool = False  # the shift is worked that weekday and it is no holiday
    holiday: str = ""
    first_in: datetime | None = None
    last_out: datetime | None = None
    minutes_present: int = 0
    late_minutes: int = 0
    early_minutes: int = 0
    absent: bool = False
    incomplete: bool = False  # one passage only: an arrival without a departure
    passages: int = 0
    correction: CorrectionSpec | None = field(default=None)

    @property
    def late(self) -> bool:
        return self.late_minutes > 0

    @property
    def early(self) -> bool:
        return self.early_minutes > 0


@dataclass
class MonthSummary:
    person: object
    workdays: int = 0
    days_present: int = 0
    late_days: int = 0
    late_minutes: int = 0
    early_days: int = 0
    early_minutes: int = 0
    absent_days: int = 0
    incomplete_days: int = 0
    corrected_days: int = 0
    minutes_present: int = 0


def days_between(first: date, last: date) -> list[date]:
    """Every day from first to last, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def window(day: date, shift: ShiftSpec | None, zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants (UTC) a day's passages fall between, start included, end excluded."""
    if shift is None:
        opens = datetime.combine(day, time.min)
        closes = opens + DAY
    else:
        lead = (DAY - shift.length) / 2
        opens = datetime.combine(day, shift.start) - lead
        closes = datetime.combine(day + DAY, shift.start) - lead
    return opens.replace(tzinfo=zone).astimezone(UTC), closes.replace(tzinfo=zone).astimezone(UTC)


def person_days(person: object, passages: Sequence[datetime], shift: ShiftSpec | None, days: Iterable[date], *,
                zone: tzinfo, now: datetime, holidays: Mapping[date, str] | None = None,
                corrections: Mapping[date, CorrectionSpec] | None = None) -> list[DayRow]:
    """One person's days. `passages` are aware instants sorted from the earliest."""
    holidays = holidays or {}
    corrections = corrections or {}
    rows = []
    for day in days:
        opens, closes = window(day, shift, zone)
        inside = passages[bisect_left(passages, opens):bisect_left(passages, closes)]
        row = DayRow(person, day, shift=shift.name if shift else "", holiday=holidays.get(day, ""),
                     passages=len(inside), correction=corrections.get(day))
        row.workday = bool(shift and day.weekday() in shift.weekdays and not row.holiday)
        _presence(row, inside, opens, closes, zone)
        if shift and row.workday and not (row.correction and row.correction.excused):
            _judge(row, shift, zone, now, closes)
        rows.append(row)
    return rows


def _presence(row: DayRow, inside: Sequence[datetime], opens: datetime, closes: datetime, zone: tzinfo) -> None:
    first = inside[0] if inside else None
    last = inside[-1] if len(inside) > 1 else None
    if row.correction:
        first = _placed(row.correction.first_in, row.day, opens, closes, zone) or first
        last = _placed(row.correction.last_out, row.day, opens, closes, zone) or last
    row.first_in = first.astimezone(zone) if first else None
    row.last_out = last.astimezone(zone) if last else None
    row.incomplete = bool(first) and not last
    if first and last and last > first:
        row.minutes_present = int((last - first).total_seconds() // 60)


def _placed(wall: time | None, day: date, opens: datetime, closes: datetime, zone: tzinfo) -> datetime | None:
    """A corrected wall-clock time as the instant it names within the day's window (the next
    morning's, for an overnight shift's departure)."""
    if wall is None:
        return None
    for candidate_day in (day, day + DAY, day - DAY):
        moment = datetime.combine(candidate_day, wall, tzinfo=zone).astimezone(UTC)
        if opens <= moment < closes:
            return moment
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _judge(row: DayRow, shift: ShiftSpec, zone: tzinfo, now: datetime, closes: datetime) -> None:
    """Late, early or absent, on a workday; early and absent only once the day is over."""
    starts = datetime.combine(row.day, shift.start).replace(tzinfo=zone).astimezone(UTC)
    ends = (datetime.combine(row.day, shift.start) + shift.length).replace(tzinfo=zone).astimezone(UTC)
    grace = timedelta(minutes=shift.grace_minutes)
    over = now >= closes
    if row.first_in is None:
        row.absent = over
        return
    if row.first_in > starts + grace:
        row.late_minutes = _minutes(row.first_in - starts)
    if over and row.last_out is not None and row.last_out < ends - grace:
        row.early_minutes = _minutes(ends - row.last_out)


def _minutes(span: timedelta) -> int:
    return math.ceil(span.total_seconds() / 60)


def summarise(rows: Iterable[DayRow]) -> list[MonthSummary]:
    """Per person, in the order people first appear in `rows`."""
    summaries: dict[object, MonthSummary] = {}
    for row in rows:
        total = summaries.setdefault(row.person, MonthSummary(row.person))
        total.workdays += row.workday
        total.days_present += row.first_in is not None
        total.late_days += row.late
        total.late_minutes += row.late_minutes
        total.early_days += row.early
        total.early_minutes += row.early_minutes
        total.absent_days += row.absent
        total.incomplete_days += row.incomplete
        total.corrected_days += row.correction is not None
        total.minutes_present += row.minutes_present
    return list(summaries.values())
