"""Attendance benchmark: a month of a 1 000-person site computed from its passages.

Makes, on a temporary SQLite database (or DATABASE_URL), `--people` people in groups of 100,
nine groups on a day shift (09:00–18:00, Monday–Friday) and one on an overnight shift
(22:00–06:00), about `--passages` matched passages over one month (arrival, departure and a
few in between, times jittered, some days missed), a holiday and a few corrections. Then
measures what the monthly report and /api/attendance/summary/ do: read the shifts and
passages and compute every person's days and totals (attendance/selectors.py
month_summaries), and the same for the daily rows of the whole month.

    .venv/bin/python bench/attendance.py [--people 1000] [--passages 60000]
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta

from common import run_on_fresh_platform

MONTH = date(2026, 3, 1)


def populate(people_count: int, passages: int) -> None:
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from attendance import services
    from attendance.models import Shift
    from devices.models import Box
    from events.models import Event
    from users.models import PermissionGroup, Person

    zone = ZoneInfo(settings.TIME_ZONE)
    box = Box.objects.create(name="gate", dev_sno="BENCH0000001", broker_password="x")
    day_shift = Shift(name="Day", start=clock(9), end=clock(18), grace_minutes=5, weekdays=[0, 1, 2, 3, 4])
    night_shift = Shift(name="Night", start=clock(22), end=clock(6), grace_minutes=5, weekdays=[0, 1, 2, 3, 4])
    groups = [PermissionGroup.objects.create(name=f"group {n}") for n in range(max(1, people_count // 100))]
    services.save_shift(day_shift, groups=groups[1:], people=[])
    services.save_shift(night_shift, groups=groups[:1], people=[])
    people = Person.objects.bulk_create([Person(identity_id=f"P{n:05d}", name=f"person {n}")
                                         for n in range(people_count)])
    Person.permission_groups.through.objects.bulk_create([
        Person.permission_groups.through(person_id=person.pk, permissiongroup_id=groups[n % len(groups)].pk)
        for n, person in enumerate(people)])
    services.add_holiday(MONTH + timedelta(days=8), "holiday")
    workdays = [MONTH + timedelta(days=n) for n in range(31) if (MONTH + timedelta(days=n)).weekday() < 5]
    per_day = max(2, round(passages / (people_count * len(workdays))))
    rng = random.Random(16)
    events = []
    for n, person in enumerate(people):
        night = n % len(groups) == 0  # the first group's members work nights
        for day in workdays:
            if rng.random() < 0.03:
                continue  # absent
            start = datetime.combine(day, clock(22 if night else 9), tzinfo=zone)
            # Arrival about the shift's start, departure about nine hours later, the rest between.
            moments = sorted(start + timedelta(minutes=rng.gauss(-5, 8) + 540 * k / (per_day - 1))
                             for k in range(per_day))
            events += [Event(box=box, dedup_key=f"{person.identity_id}-{m.timestamp()}", occurred_at=m,
                             timestamp_ms=int(m.timestamp() * 1000), identity_id=person.identity_id,
                             identity_name=person.name, score=0.9, person_type=1) for m in moments]
    Event.objects.bulk_create(events, batch_size=5000)
    for person in people[:20]:
        services.correct_day(person, workdays[3], reason="bench", made_by=None, excused=True)


def run(args) -> None:
    from attendance.selectors import attendance_days, month_summaries
    from events.models import Event

    started = time.perf_counter()
    populate(args.people, args.passages)
    print(f"made {args.people} people and {Event.objects.count()} passages in "
          f"{time.perf_counter() - started:.1f} s")
    last = date(2026, 3, 31)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        totals = month_summaries(MONTH, last)
        timings.append(time.perf_counter() - started)
    late = sum(total.late_days for total in totals)
    absent = sum(total.absent_days for total in totals)
    print(f"monthly summary of {len(totals)} people: best {min(timings):.2f} s of {args.repeat} "
          f"(late days {late}, absent days {absent})")
    started = time.perf_counter()
    rows = attendance_days(MONTH, last)
    print(f"daily rows for the month: {len(rows)} rows in {time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--passages", type=int, default=60000)
    parser.add_argument("--repeat", type=int, default=3)
    run_on_fresh_platform(run, parser.parse_args(), prefix="aibox-bench-attendance-")


if __name__ == "__main__":
    main()
