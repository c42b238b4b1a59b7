"""Attendance filters (one definition for the console pages, their exports and /api/attendance/)
and the administrators' forms for shifts, holidays and corrections."""
from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from devices.models import Area
from devices.selectors import visible_areas
from users.models import PermissionGroup, Person
from users.selectors import visible_groups, visible_people

from .models import WEEKDAYS, Correction, Holiday, Shift

MAX_DAYS = 366
MONTH = re.compile(r"(\d{4})-(\d{2})")


class ScopeForm(forms.Form):
    """Whose attendance: the people served at a site or area, a permission group, one person, text
    in the name or identity_id."""

    area = forms.ModelChoiceField(Area.objects.all(), required=False, label=_("Site or area"))
    group = forms.ModelChoiceField(PermissionGroup.objects.all(), required=False, label=_("Group"))
    person = forms.ModelChoiceField(Person.objects.all(), required=False, label=_("Person"))
    q = forms.CharField(required=False, max_length=200, label=_("Search"))

    def __init__(self, *args, operator: Scope, **kwargs) -> None:
        """Only what the operator sees can be chosen: another site's area, group or person is
        "not a valid choice", like one that does not exist (an empty report would tell it does)."""
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = visible_areas(operator)
        self.fields["group"].queryset = visible_groups(operator)
        self.fields["person"].queryset = visible_people(operator)

    def scope(self) -> dict:
        data = self.cleaned_data
        return {"area": data.get("area"), "group": data.get("group"), "person": data.get("person"),
                "q": data.get("q", "").strip()}


class DailyFilterForm(ScopeForm):
    """Days of the site's zone, both included; From alone is one day, and no day is today."""

    since = forms.DateField(required=False, label=_("From"))
    until = forms.DateField(required=False, label=_("Until"))

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        since, until = data.get("since"), data.get("until")
        data["since"] = since = since or until or today
        data["until"] = until = until or since
        if until < since:
            self.add_error("until", _("Until is before From."))
        elif (until - since).days >= MAX_DAYS:
            self.add_error("until", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return data

    def days(self) -> tuple[date, date]:
        return self.cleaned_data["since"], self.cleaned_data["until"]


class MonthFilterForm(ScopeForm):
    month = forms.CharField(required=False, max_length=7, label=_("Month"),
                            help_text=_("YYYY-MM; this month when left out."))

    def clean_month(self) -> date:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return timezone.localdate().replace(day=1)
        found = MONTH.fullmatch(text)
        if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid")
        return date(int(found[1]), int(found[2]), 1)

    def days(self) -> tuple[date, date]:
        first = self.cleaned_data["month"]
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)


class ShiftForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple,
                                              label=_("Days of the week"))
    groups = forms.ModelMultipleChoiceField(
        PermissionGroup.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Groups"),
        help_text=_("Members of these groups work this shift (a group has one shift)."))
    people = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("People"),
        help_text=_("identity_id of people who work this shift whatever their groups' shift, separated by "
                    "spaces or commas."))

    class Meta:
        model = Shift
        fields = ["name", "start", "end", "grace_minutes", "weekdays"]
        widgets = {"start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean_people(self) -> list[Person]:
        ids = [part for part in re.split(r"[\s,]+", self.cleaned_data.get("people", "")) if part]
        found = {person.identity_id: person for person in Person.objects.filter(identity_id__in=ids)}
        missing = [identity for identity in ids if identity not in found]
        if missing:
            raise forms.ValidationError(_("No such person: %(ids)s") % {"ids": ", ".join(missing[:10])})
        return list(found.values())


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["day", "name"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"})}


class CorrectionForm(forms.ModelForm):
    identity_id = forms.CharField(max_length=64, label=_("identity_id"))

    class Meta:
        model = Correction
        fields = ["day", "first_in", "last_out", "excused", "reason"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}),
                   "first_in": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "last_out": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, people: QuerySet[Person], **kwargs) -> None:
        """`people`: those the operator may correct (users.selectors.writable_people)."""
        super().__init__(*args, **kwargs)
        self.people = people

    def clean_identity_id(self) -> Person:
        person = self.people.filter(identity_id=self.cleaned_data["identity_id"].strip()).first()
        if person is None:
            raise forms.ValidationError(_("No person has this identity_id."))
        return person

    def clean(self):
        data = super().clean()
        if not (data.get("first_in") or data.get("last_out") or data.get("excused")):
            raise forms.ValidationError(_("Give a first in, a last out, or excuse the day."))
        return data
