"""An attendance month built from known passages (tests/attendance_month.py): exactly the expected
late, early and absent days, the overnight shift, the holiday and the corrections included."""
from datetime import date, time

import pytest

from attendance.selectors import Scope, attendance_days, month_summaries
from tests.attendance_month import EXPECTED, FIRST, HOLIDAY, LAST, NOW, WORKDAYS, ZONE_NAME, build_month


@pytest.fixture
def month(db, settings, make_box, admin_user):
    settings.TIME_ZONE = ZONE_NAME
    return build_month(make_box("gate"), admin_user)


def _by_name(rows):
    found = {}
    for row in rows:
        found.setdefault(row.person.name.lower(), []).append(row)
    return found


def test_the_month_gives_exactly_the_expected_late_early_and_absent_days(month):
    rows = _by_name(attendance_days(FIRST, LAST, now=NOW))
    assert set(rows) == {"alice", "bob"}, "only people with a shift are tracked"
    for name, expected in EXPECTED.items():
        days = rows[name]
        assert len(days) == 31
        assert {row.day: row.late_minutes for row in days if row.late} == expected["late"], name
        assert {row.day: row.early_minutes for row in days if row.early} == expected["early"], name
        assert {row.day for row in days if row.absent} == expected["absent"], name
        assert sum(row.workday for row in days) == WORKDAYS


def test_a_persons_own_shift_wins_and_the_overnight_shift_keeps_its_morning(month):
    bob = {row.day: row for row in _by_name(attendance_days(FIRST, LAST, now=NOW))["bob"]}
    assert {row.shift for row in bob.values()} == {"Night"}
    monday = bob[date(2026, 3, 16)]
    assert (monday.first_in.day, monday.first_in.time()) == (16, time(21, 55))
    assert (monday.last_out.day, monday.last_out.time()) == (17, time(6, 2))
    assert monday.minutes_present == 8 * 60 + 7
    assert bob[date(2026, 3, 14)].first_in is None, "Friday night's departure stays on Friday"


def test_holiday_and_corrections(month):
    alice = {row.day: row for row in _by_name(attendance_days(FIRST, LAST, now=NOW))["alice"]}
    holiday = alice[HOLIDAY]
    assert (holiday.holiday, holiday.workday, holiday.absent) == ("Spring day", False, False)
    leave = alice[date(2026, 3, 10)]
    assert (leave.absent, leave.correction.reason, leave.correction.made_by) == (False, "Sick leave", "admin")
    forgot = alice[date(2026, 3, 11)]
    assert forgot.last_out.time() == time(18) and not forgot.early and not forgot.incomplete
    assert forgot.correction.reason == "Forgot to pass"
    saturday = alice[date(2026, 3, 14)]
    assert (saturday.workday, saturday.minutes_present, saturday.late) == (False, 120, False)
    assert alice[date(2026, 3, 2)].minutes_present == 9 * 60 + 10


def test_monthly_summary(month):
    summaries = {s.person.name: s for s in month_summaries(FIRST, LAST, now=NOW)}
    alice, bob = summaries["Alice"], summaries["Bob"]
    assert (alice.workdays, alice.late_days, alice.late_minutes, alice.early_days, alice.absent_days,
            alice.corrected_days) == (WORKDAYS, 2, 51, 1, 1, 2)
    assert alice.days_present == 19 + 1  # 21 workdays less the absence and the leave, and a Saturday
    assert (bob.late_days, bob.early_days, bob.absent_days, bob.days_present) == (1, 1, 1, 20)


def test_scope_by_group_person_and_text(month):
    assert {row.person.name for row in attendance_days(FIRST, FIRST, Scope(person=month["bob"]), now=NOW)} == {"Bob"}
    assert {row.person.name for row in attendance_days(FIRST, FIRST, Scope(q="ali"), now=NOW)} == {"Alice"}
    other = type(month["staff"]).objects.create(name="Other")
    assert attendance_days(FIRST, FIRST, Scope(group=other), now=NOW) == []
