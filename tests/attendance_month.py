"""A known month of passages (March 2026, site zone Asia/Shanghai) and the attendance it must give.

Alice works the group's day shift (09:00–18:00, 5 minutes' grace, Monday–Friday); Bob is in the
same group but has his own overnight shift (22:00–06:00, 10 minutes' grace), which wins. Monday
9 March is a holiday. Everyone else's days are on time, so only the days listed below differ.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from attendance import services
from attendance.models import Shift
from events.models import Event
from users.models import PermissionGroup, Person

ZONE_NAME = "Asia/Shanghai"
ZONE = ZoneInfo(ZONE_NAME)
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)
NOW = datetime(2026, 4, 2, 12, 0, tzinfo=ZONE)  # the month is over
HOLIDAY = date(2026, 3, 9)

# Expected: day → minutes, for each person.
EXPECTED = {
    "alice": {"late": {date(2026, 3, 4): 20, date(2026, 3, 12): 31}, "early": {date(2026, 3, 5): 30},
              "absent": {date(2026, 3, 6)}},
    "bob": {"late": {date(2026, 3, 2): 30}, "early": {date(2026, 3, 3): 30}, "absent": {date(2026, 3, 13)}},
}
WORKDAYS = 21  # 22 weekdays in March 2026, less the holiday


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def alice_passages() -> list[datetime]:
    moments = []
    for offset in range(31):
        day = FIRST + timedelta(days=offset)
        if day.weekday() >= 5 or day in (HOLIDAY, date(2026, 3, 6), date(2026, 3, 10)):
            continue
        arrive = {date(2026, 3, 3): (9, 4), date(2026, 3, 4): (9, 20), date(2026, 3, 12): (9, 31)}.get(day, (8, 55))
        leave = {date(2026, 3, 3): (18, 0), date(2026, 3, 5): (17, 30)}.get(day, (18, 5))
        moments += [_at(day, *arrive), _at(day, 12, 0)]
        if day != date(2026, 3, 11):  # forgot to pass on the way out: corrected below
            moments.append(_at(day, *leave))
    moments += [_at(date(2026, 3, 14), 10, 0), _at(date(2026, 3, 14), 12, 0)]  # a Saturday, not a workday
    return moments


def bob_passages() -> list[datetime]:
    moments = []
    for offset in range(31):
        day = FIRST + timedelta(days=offset)
        if day.weekday() >= 5 or day in (HOLIDAY, date(2026, 3, 13)):
            continue
        arrive = (22, 30) if day == date(2026, 3, 2) else (21, 55)
        leave = (5, 30) if day == date(2026, 3, 3) else (6, 2)
        moments += [_at(day, *arrive), _at(day + timedelta(days=1), *leave)]
    return moments


def build_month(box, admin_user) -> dict:
    """Stores the people, shifts, holiday, corrections and passages; returns the people and group."""
    staff = PermissionGroup.objects.create(name="Staff")
    alice = Person.objects.create(identity_id="A-1", name="Alice")
    bob = Person.objects.create(identity_id="B-2", name="Bob")
    visitor = Person.objects.create(identity_id="V-3", name="Vera")  # no shift: not tracked
    alice.permission_groups.add(staff)
    bob.permission_groups.add(staff)
    office = Shift(name="Office", start=time(9), end=time(18), grace_minutes=5, weekdays=[0, 1, 2, 3, 4])
    services.save_shift(office, groups=[staff], people=[])
    night = Shift(name="Night", start=time(22), end=time(6), grace_minutes=10, weekdays=[0, 1, 2, 3, 4])
    services.save_shift(night, groups=[], people=[bob])
    services.add_holiday(HOLIDAY, "Spring day")
    services.correct_day(alice, date(2026, 3, 10), reason="Sick leave", made_by=admin_user, excused=True)
    services.correct_day(alice, date(2026, 3, 11), reason="Forgot to pass", made_by=admin_user, last_out=time(18))
    events = [_event(box, alice, moment) for moment in alice_passages()]
    events += [_event(box, bob, moment) for moment in bob_passages()]
    events.append(_event(box, visitor, _at(date(2026, 3, 2), 9, 0)))
    # A stranger at the door is nobody's passage.
    events.append(Event(box=box, dedup_key="stranger", occurred_at=_at(date(2026, 3, 6), 9, 0),
                        timestamp_ms=0, identity_id="A-1", score=0.1, person_type=4))
    Event.objects.bulk_create(events)
    return {"staff": staff, "alice": alice, "bob": bob, "visitor": visitor}


def _event(box, person: Person, moment: datetime) -> Event:
    return Event(box=box, dedup_key=f"{person.identity_id}-{moment.isoformat()}", occurred_at=moment,
                 timestamp_ms=int(moment.timestamp() * 1000), identity_id=person.identity_id,
                 identity_name=person.name, score=0.9, person_type=1)
