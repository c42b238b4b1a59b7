"""attendance/compute.py alone: windows, grace, days in progress, daylight saving time."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from attendance.compute import CorrectionSpec, ShiftSpec, person_days, summarise, window

BERLIN = ZoneInfo("Europe/Berlin")
DAY_SHIFT = ShiftSpec("Day", time(9), time(17), grace_minutes=5, weekdays=frozenset(range(7)))
NIGHT = ShiftSpec("Night", time(22), time(6), weekdays=frozenset(range(7)))
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=BERLIN).astimezone(UTC)


def one(passages, shift=DAY_SHIFT, day=date(2026, 6, 10), now=LATER, **kwargs):
    return person_days("p", sorted(passages), shift, [day], zone=BERLIN, now=now, **kwargs)[0]


def test_windows_split_the_off_duty_time_in_half():
    day = date(2026, 6, 10)
    assert window(day, DAY_SHIFT, BERLIN) == (at(day, 1), at(date(2026, 6, 11), 1))
    assert window(day, NIGHT, BERLIN) == (at(day, 14), at(date(2026, 6, 11), 14))
    assert window(day, None, BERLIN) == (at(day, 0), at(date(2026, 6, 11), 0))


def test_grace_is_not_late_and_a_second_past_it_is():
    day = date(2026, 6, 10)
    assert one([at(day, 9, 5), at(day, 17)]).late_minutes == 0
    assert one([at(day, 9, 5, 1), at(day, 17)]).late_minutes == 6  # minutes begun count
    assert one([at(day, 9), at(day, 16, 55)]).early_minutes == 0
    assert one([at(day, 9), at(day, 16, 54)]).early_minutes == 6


def test_a_day_in_progress_is_neither_absent_nor_early_yet():
    day = date(2026, 6, 10)
    assert not one([], now=at(day, 12)).absent
    assert one([], now=at(date(2026, 6, 11), 1)).absent
    row = one([at(day, 9), at(day, 12)], now=at(day, 13))
    assert (row.early_minutes, row.minutes_present) == (0, 180)


def test_one_passage_is_an_arrival_without_departure():
    row = one([at(date(2026, 6, 10), 8, 50)])
    assert (row.incomplete, row.last_out, row.minutes_present, row.early, row.absent) == (True, None, 0, False, False)


def test_days_off_and_people_without_a_shift_are_never_judged():
    weekdays_only = ShiftSpec("Week", time(9), time(17), weekdays=frozenset(range(5)))
    saturday = date(2026, 6, 13)
    row = one([at(saturday, 11), at(saturday, 12)], shift=weekdays_only, day=saturday)
    assert (row.workday, row.late, row.minutes_present) == (False, False, 60)
    assert not one([], shift=None).absent


def test_daylight_saving_night_is_measured_in_real_time():
    night_of_change = date(2026, 3, 28)  # clocks go forward at 02:00 on the 29th
    row = one([at(night_of_change, 22), at(date(2026, 3, 29), 6)], shift=NIGHT, day=night_of_change)
    assert row.minutes_present == 7 * 60
    assert (row.late, row.early) == (False, False)


def test_correction_replaces_times_and_excuses():
    day = date(2026, 6, 10)
    fixed = one([at(day, 9, 40), at(day, 17)], corrections={day: CorrectionSpec("badge", first_in=time(9))})
    assert (fixed.late, fixed.first_in.time(), fixed.correction.reason) == (False, time(9), "badge")
    excused = one([], corrections={day: CorrectionSpec("leave", excused=True)})
    assert not excused.absent
    night = one([at(day, 22)], shift=NIGHT, corrections={day: CorrectionSpec("out", last_out=time(6))})
    assert night.last_out == datetime(2026, 6, 11, 6, tzinfo=BERLIN) and night.minutes_present == 480


def test_summary_adds_up_the_days():
    days = [date(2026, 6, d) for d in (8, 9, 10)]
    rows = person_days("p", [at(days[0], 9, 30), at(days[0], 17), at(days[1], 9), at(days[1], 16)], DAY_SHIFT, days,
                       zone=BERLIN, now=LATER)
    (total,) = summarise(rows)
    assert (total.workdays, total.days_present, total.late_days, total.late_minutes, total.early_days,
            total.early_minutes, total.absent_days, total.minutes_present) == (3, 2, 1, 30, 1, 60, 1, 450 + 420)
