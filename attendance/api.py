"""REST API over attendance: `/api/attendance/` (one row per person per day) and
`/api/attendance/summary/` (per person, one month): the people the operator's scope reaches."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import ScopedViewMixin

from .forms import DailyFilterForm, MonthFilterForm
from .selectors import attendance_days, month_summaries, operator_scope
from .serializers import AttendanceDaySerializer, AttendanceSummarySerializer

SCOPE = [
    OpenApiParameter("area", OpenApiTypes.INT, description="Site or area id: the people its boxes, and those "
                     "of the areas below it, serve"),
    OpenApiParameter("group", OpenApiTypes.INT, description="Permission group id: its members only"),
    OpenApiParameter("person", OpenApiTypes.INT, description="Person id"),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in the name or identity_id"),
]


def _valid(form):
    if not form.is_valid():  # 400 naming each filter and why, never "no filter"
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return form


class AttendanceDayView(ScopedViewMixin, GenericAPIView):
    """People with a shift (their own or a group's), one row per person per day, by person then
    day; computed from the passages when asked, in the site's TIME_ZONE."""

    serializer_class = AttendanceDaySerializer

    @extend_schema(operation_id="attendance_list", responses=AttendanceDaySerializer(many=True), parameters=SCOPE + [
        OpenApiParameter("since", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); today when left out"),
        OpenApiParameter("until", OpenApiTypes.DATE, description="Last day, included; `since` when left out; "
                                                                 "at most 366 days"),
    ])
    def get(self, request: Request) -> Response:
        form = _valid(DailyFilterForm(request.query_params, operator=self.scope))
        rows = attendance_days(*form.days(), operator_scope(form.scope(), self.scope))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AttendanceDaySerializer(page, many=True).data)


class AttendanceSummaryView(ScopedViewMixin, GenericAPIView):
    """Per person with a shift, a month's totals: workdays, days present, late, early and absent
    days, minutes late, early and present."""

    serializer_class = AttendanceSummarySerializer

    @extend_schema(operation_id="attendance_summary", responses=AttendanceSummarySerializer(many=True),
                   parameters=SCOPE + [
        OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; this month when left out"),
    ])
    def get(self, request: Request) -> Response:
        form = _valid(MonthFilterForm(request.query_params, operator=self.scope))
        first, last = form.days()
        page = self.paginate_queryset(month_summaries(first, last, operator_scope(form.scope(), self.scope)))
        return self.get_paginated_response(AttendanceSummarySerializer(page, many=True, context={"month": first}).data)
