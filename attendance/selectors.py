"""Reads for attendance: who is tracked, their shifts, passages, holidays and corrections, and
the computed days (attendance/compute.py) for the console, the exports and the API."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.scope import Scope as OperatorScope
from aibox_contract.people import STRANGER
from devices.models import Area, Box
from devices.selectors import visible_boxes
from events.models import Event
from users.models import PermissionGroup, Person
from users.selectors import served_within, visible_people

from .compute import CorrectionSpec, DayRow, MonthSummary, ShiftSpec, days_between, person_days, summarise
from .models import Correction, Holiday, Shift, ShiftAssignment

# Beyond this many people, passages are read for everyone and sorted out here: a long IN list
# costs the database more than the rows it saves.
IN_LIST_LIMIT = 500


@dataclass(frozen=True)
class Scope:
    area: Area | None = None  # people some box of this area, or of one below it, serves
    group: PermissionGroup | None = None
    person: Person | None = None
    q: str = ""
    # The people the operator may see (users.selectors.visible_people of their accounts.scope):
    # a site manager's reports, exports and API rows hold no one else. None: everyone.
    among: QuerySet[Person] | None = None
    # The boxes whose passages count (a site manager's sites'): a person served at two sites is
    # seen by both managers, each with the passages at their own boxes only. None: every box.
    at_boxes: QuerySet[Box] | None = None


def operator_scope(filters: dict, operator: OperatorScope) -> Scope:
    """The report's filters (forms.ScopeForm.scope) within what the operator sees."""
    if operator.everything:
        return Scope(**filters)
    return Scope(**filters, among=visible_people(operator), at_boxes=visible_boxes(operator))


def spec(shift: Shift) -> ShiftSpec:
    return ShiftSpec(shift.name, shift.start, shift.end, shift.grace_minutes, frozenset(shift.weekdays))


def people_in_scope(scope: Scope = Scope()) -> QuerySet[Person]:
    """People with a shift, their own or a group's, narrowed by the scope."""
    people = Person.objects.filter(Q(attendance_shift__isnull=False)
                                   | Q(permission_groups__attendance_shift__isnull=False))
    if scope.area is not None:
        people = people.filter(pk__in=served_within(scope.area.pk).values("pk"))
    if scope.group is not None:
        people = people.filter(permission_groups=scope.group)
    if scope.person is not None:
        people = people.filter(pk=scope.person.pk)
    if scope.q:
        people = people.filter(Q(name__icontains=scope.q) | Q(identity_id__icontains=scope.q))
    if scope.among is not None:
        people = people.filter(pk__in=scope.among.values("pk"))
    return Person.objects.filter(pk__in=people.values("pk")).order_by("name", "id")


def shifts_by_person(people: list[Person]) -> dict[int, ShiftSpec]:
    """Each person's shift: their own assignment, else that of their first group by name that has one."""
    assignments = list(ShiftAssignment.objects.select_related("shift"))
    own = {a.person_id: spec(a.shift) for a in assignments if a.person_id}
    by_group = {a.group_id: spec(a.shift) for a in assignments if a.group_id}
    ids = [person.pk for person in people]
    result: dict[int, ShiftSpec] = {}
    memberships = (Person.permission_groups.through.objects
                   .filter(permissiongroup_id__in=list(by_group), person_id__in=ids)
                   .order_by("permissiongroup__name").values_list("person_id", "permissiongroup_id"))
    for person_id, group_id in memberships:
        result.setdefault(person_id, by_group[group_id])
    wanted = set(ids)
    result.update({pid: shift for pid, shift in own.items() if pid in wanted})
    return result


def passages(people: list[Person], opens: datetime, closes: datetime, *,
             at_boxes: QuerySet[Box] | None = None) -> dict[str, list[datetime]]:
    """Matched passages (a recognised person, not a stranger) between two instants, by identity_id,
    each person's sorted from the earliest."""
    identities = {person.identity_id for person in people}
    events = Event.objects.filter(occurred_at__gte=opens, occurred_at__lt=closes, identity_id__gt="")
    events = events.exclude(person_type=STRANGER)
    if at_boxes is not None:
        events = events.filter(box__in=at_boxes)
    if len(identities) <= IN_LIST_LIMIT:
        events = events.filter(identity_id__in=identities)
    found: dict[str, list[datetime]] = defaultdict(list)
    for identity, moment in events.values_list("identity_id", "occurred_at").iterator(chunk_size=5000):
        if identity in identities:
            found[identity].append(moment)
    for moments in found.values():
        moments.sort()
    return found


def holidays(first: date, last: date) -> dict[date, str]:
    return dict(Holiday.objects.filter(day__range=(first, last)).values_list("day", "name"))


def corrections(people: list[Person], first: date, last: date) -> dict[int, dict[date, CorrectionSpec]]:
    """Corrections by person id, then day."""
    kept = Correction.objects.filter(day__range=(first, last))
    if len(people) <= IN_LIST_LIMIT:
        kept = kept.filter(person__in=people)
    found: dict[int, dict[date, CorrectionSpec]] = defaultdict(dict)
    for fix in kept:
        found[fix.person_id][fix.day] = CorrectionSpec(fix.reason, fix.first_in, fix.last_out, fix.excused,
                                                       fix.made_by_name, fix.made_at)
    return found


def attendance_days(first: date, last: date, scope: Scope = Scope(), *, now: datetime | None = None) -> list[DayRow]:
    """Every tracked person's days from first to last (both included), by person then day; each
    row's `person` is the Person."""
    people = list(people_in_scope(scope))
    zone = timezone.get_current_timezone()
    shifts = shifts_by_person(people)
    # A day's window reaches at most a day before or after it (compute.window).
    opens = datetime.combine(first - timedelta(days=1), time.min, tzinfo=zone)
    closes = datetime.combine(last + timedelta(days=2), time.min, tzinfo=zone)
    found = passages(people, opens, closes, at_boxes=scope.at_boxes)
    off = holidays(first, last)
    fixes = corrections(people, first, last)
    days = days_between(first, last)
    now = now or timezone.now()
    rows: list[DayRow] = []
    for person in people:
        rows += person_days(person, found.get(person.identity_id, []), shifts.get(person.pk), days, zone=zone,
                            now=now, holidays=off, corrections=fixes.get(person.pk))
    return rows


def month_summaries(first: date, last: date, scope: Scope = Scope(), *,
                    now: datetime | None = None) -> list[MonthSummary]:
    return summarise(attendance_days(first, last, scope, now=now))
