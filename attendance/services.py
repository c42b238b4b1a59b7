"""Writes for attendance: shifts with who works them, holidays, corrections."""
from __future__ import annotations

from datetime import date, time

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from users.models import PermissionGroup, Person

from .models import Correction, Holiday, Shift, ShiftAssignment


@transaction.atomic
def save_shift(shift: Shift, *, groups: list[PermissionGroup], people: list[Person]) -> Shift:
    """Save the shift and make it the one of exactly these groups and people (taking them off any
    other shift: a group or a person has one)."""
    shift.full_clean()
    shift.save()
    shift.assignments.exclude(group__in=groups).filter(group__isnull=False).delete()
    shift.assignments.exclude(person__in=people).filter(person__isnull=False).delete()
    for group in groups:
        ShiftAssignment.objects.update_or_create(group=group, defaults={"shift": shift})
    for person in people:
        ShiftAssignment.objects.update_or_create(person=person, defaults={"shift": shift})
    return shift


def delete_shift(shift: Shift) -> None:
    shift.delete()


def add_holiday(day: date, name: str) -> Holiday:
    holiday, _ = Holiday.objects.update_or_create(day=day, defaults={"name": name})
    return holiday


def delete_holiday(holiday: Holiday) -> None:
    holiday.delete()


def correct_day(person: Person, day: date, *, reason: str, made_by: AbstractBaseUser | None,
                first_in: time | None = None, last_out: time | None = None, excused: bool = False) -> Correction:
    """Set the correction of a person's day (replacing an earlier one), recording who made it."""
    correction, _ = Correction.objects.update_or_create(person=person, day=day, defaults={
        "first_in": first_in, "last_out": last_out, "excused": excused, "reason": reason,
        "made_by": made_by, "made_by_name": made_by.get_username() if made_by else ""})
    return correction


def delete_correction(correction: Correction) -> None:
    correction.delete()
