"""Console pages for attendance: the daily and monthly reports with their exports, and the
administrators' pages for shifts, holidays and corrections."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.console import (
    AdministratorRequiredMixin,
    AdministratorWritesMixin,
    OperatorRequiredMixin,
    require_writable,
)
from devices.selectors import visible_tree
from users.selectors import visible_groups, visible_people, writable_people

from . import exports, services
from .forms import CorrectionForm, DailyFilterForm, HolidayForm, MonthFilterForm, ShiftForm
from .models import WEEKDAYS, Correction, Holiday, Shift, ShiftAssignment
from .selectors import attendance_days, month_summaries, operator_scope

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_context(view: OperatorRequiredMixin, form, rows: list) -> dict:
    request = view.request
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"form": form, "groups": visible_groups(view.scope), "areas": visible_tree(view.scope),
            "query": query.urlencode(), "page_obj": page, "is_paginated": page.has_other_pages(),
            "rows": page.object_list,
            "filtered": any(value for key, value in query.items())}


class DailyReportView(OperatorRequiredMixin, View):
    """Each tracked person's days between two dates (today by default)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = DailyFilterForm(request.GET, operator=self.scope)
        if not form.is_valid():
            return render(request, "attendance/daily.html", _report_context(self, form, []), status=400)
        rows = attendance_days(*form.days(), operator_scope(form.scope(), self.scope))
        return render(request, "attendance/daily.html", _report_context(self, form, rows))


class MonthlyReportView(OperatorRequiredMixin, View):
    """Per person, a month's totals (this month by default)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = MonthFilterForm(request.GET, operator=self.scope)
        if not form.is_valid():
            return render(request, "attendance/monthly.html", _report_context(self, form, []), status=400)
        first, last = form.days()
        context = _report_context(self, form, month_summaries(first, last, operator_scope(form.scope(), self.scope)))
        context.update(month=first, first=first, last=last)
        return render(request, "attendance/monthly.html", context)


class ExportView(OperatorRequiredMixin, View):
    """A report as CSV or XLSX, with the page's filters (all rows, not one page)."""

    def get(self, request: HttpRequest, report: str, fmt: str) -> HttpResponse:
        form = (DailyFilterForm if report == "daily" else MonthFilterForm)(request.GET, operator=self.scope)
        if not form.is_valid():
            page = DailyReportView if report == "daily" else MonthlyReportView
            return page.as_view()(request)
        first, last = form.days()
        scope = operator_scope(form.scope(), self.scope)
        if report == "daily":
            header, rows = exports.DAY_COLUMNS, [exports.day_cells(row) for row in attendance_days(first, last, scope)]
            name = f"attendance-{first:%Y%m%d}-{last:%Y%m%d}"
        else:
            header = exports.MONTH_COLUMNS
            rows = [exports.month_cells(first, total) for total in month_summaries(first, last, scope)]
            name = f"attendance-{first:%Y-%m}"
        if fmt == "csv":
            response = StreamingHttpResponse(exports.csv_text(header, rows), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(exports.xlsx_bytes(report, header, rows), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


class ShiftListView(OperatorRequiredMixin, View):
    """Every shift (shared by all sites), with whom the operator sees working it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        assigned = ShiftAssignment.objects.select_related("group", "person")
        if not self.scope.everything:
            scope = self.scope
            assigned = assigned.filter(Q(group__in=visible_groups(scope)) | Q(person__in=visible_people(scope)))
        shifts = Shift.objects.prefetch_related(Prefetch("assignments", queryset=assigned))
        return render(request, "attendance/shift_list.html", {"shifts": shifts, "weekdays": WEEKDAYS})


class ShiftEditView(AdministratorRequiredMixin, View):
    """A new shift, or one to change (pk), with the groups and people who work it (shifts are
    shared by every site: the administrators')."""

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        shift = get_object_or_404(Shift, pk=pk) if pk else None
        initial = {}
        if shift:
            assigned = list(shift.assignments.select_related("person"))
            initial = {"groups": [a.group_id for a in assigned if a.group_id],
                       "people": " ".join(a.person.identity_id for a in assigned if a.person_id)}
        form = ShiftForm(instance=shift, initial=initial)
        return render(request, "attendance/shift_form.html", {"form": form, "shift": shift})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        shift = get_object_or_404(Shift, pk=pk) if pk else None
        form = ShiftForm(request.POST, instance=shift)
        if not form.is_valid():
            return render(request, "attendance/shift_form.html", {"form": form, "shift": shift}, status=400)
        saved = services.save_shift(form.save(commit=False), groups=list(form.cleaned_data["groups"]),
                                    people=form.cleaned_data["people"])
        messages.success(request, _("Shift %(name)s saved.") % {"name": saved.name})
        return redirect("attendance-shifts")


class ShiftDeleteView(AdministratorRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shift = get_object_or_404(Shift, pk=pk)
        services.delete_shift(shift)
        messages.success(request, _("Shift %(name)s deleted.") % {"name": shift.name})
        return redirect("attendance-shifts")


class HolidayListView(AdministratorWritesMixin, View):
    """Holidays, for every site: everyone reads them, administrators add them."""

    def get(self, request: HttpRequest, form: HolidayForm | None = None, status: int = 200) -> HttpResponse:
        return render(request, "attendance/holidays.html",
                      {"form": form or HolidayForm(), "holidays": Holiday.objects.all()}, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = HolidayForm(request.POST)
        if not form.is_valid():
            return self.get(request, form, status=400)
        holiday = services.add_holiday(form.cleaned_data["day"], form.cleaned_data["name"])
        messages.success(request, _("Holiday %(name)s saved.") % {"name": holiday.name})
        return redirect("attendance-holidays")


class HolidayDeleteView(AdministratorRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        services.delete_holiday(get_object_or_404(Holiday, pk=pk))
        return redirect("attendance-holidays")


class CorrectionListView(OperatorRequiredMixin, View):
    """Corrections of the people the operator sees, newest day first, and the form to add one
    (prefilled from a report's row) for those they may change."""

    def get(self, request: HttpRequest, form: CorrectionForm | None = None, status: int = 200) -> HttpResponse:
        form = form or CorrectionForm(initial={key: request.GET[key] for key in ("identity_id", "day")
                                               if key in request.GET}, people=writable_people(self.scope))
        corrections = Correction.objects.filter(person__in=visible_people(self.scope)).select_related("person")
        page = Paginator(corrections, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "attendance/corrections.html",
                      {"form": form, "page_obj": page, "is_paginated": page.has_other_pages()}, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CorrectionForm(request.POST, people=writable_people(self.scope))
        if not form.is_valid():
            return self.get(request, form, status=400)
        data = form.cleaned_data
        services.correct_day(data["identity_id"], data["day"], reason=data["reason"], made_by=request.user,
                             first_in=data["first_in"], last_out=data["last_out"], excused=data["excused"])
        messages.success(request, _("Correction saved."))
        return redirect("attendance-corrections")


class CorrectionDeleteView(OperatorRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        correction = get_object_or_404(Correction.objects.filter(person__in=visible_people(self.scope)), pk=pk)
        require_writable(correction.person, writable_people(self.scope))
        services.delete_correction(correction)
        return redirect("attendance-corrections")
