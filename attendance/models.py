"""Attendance: shifts, who works them, holidays and manual corrections. The days themselves are
not stored: they are computed from the passage records (events.Event) by attendance/compute.py."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from users.models import PermissionGroup, Person

# Python's weekday numbers (Monday 0) with their names, for forms and pages.
WEEKDAYS = [(0, _("Mon")), (1, _("Tue")), (2, _("Wed")), (3, _("Thu")), (4, _("Fri")), (5, _("Sat")), (6, _("Sun"))]


class Shift(models.Model):
    """Working hours on some days of the week. A shift whose end is not after its start ends on
    the next day (overnight); its day is the day it starts."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace minutes"), default=0,
        help_text=_("Arriving this many minutes after the start is not late; leaving this many before the end "
                    "is not early."))
    weekdays = models.JSONField(_("days of the week"), default=list,
                                help_text=_("Days of the week the shift is worked (Monday 0 … Sunday 6)."))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def clean(self) -> None:
        if not self.weekdays or any(day not in range(7) for day in self.weekdays):
            raise ValidationError({"weekdays": _("Choose at least one day of the week.")})


class ShiftAssignment(models.Model):
    """A shift for a permission group's members or for one person; a person's own assignment wins
    over their groups'."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    group = models.OneToOneField(PermissionGroup, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="attendance_shift")
    person = models.OneToOneField(Person, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="attendance_shift")

    class Meta:
        constraints = [models.CheckConstraint(
            condition=models.Q(group__isnull=True, person__isnull=False) | models.Q(group__isnull=False,
                                                                                   person__isnull=True),
            name="assigned_to_group_or_person")]

    def __str__(self) -> str:
        return f"{self.shift} → {self.person or self.group}"


class Holiday(models.Model):
    """A day nobody is expected: no absence, no late arrival, no early leave."""

    day = models.DateField(_("day"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Correction(models.Model):
    """An administrator's correction of one person's day (a forgotten passage, a leave), with why,
    who and when; it is shown on every report of that day."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendance_corrections")
    day = models.DateField(_("day"))
    first_in = models.TimeField(_("first in"), null=True, blank=True,
                                help_text=_("Replaces the first passage of the day, when given."))
    last_out = models.TimeField(_("last out"), null=True, blank=True,
                                help_text=_("Replaces the last passage of the day, when given (after midnight "
                                            "for an overnight shift)."))
    excused = models.BooleanField(_("excused"), default=False,
                                  help_text=_("Neither absent, nor late, nor early that day (a leave, a mission)."))
    reason = models.CharField(_("reason"), max_length=300)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    # Kept as written when the account is later removed.
    made_by_name = models.CharField(max_length=150, blank=True, default="")
    made_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "person__name"]
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="one_correction_per_person_day")]

    def __str__(self) -> str:
        return f"{self.person} {self.day}: {self.reason}"
