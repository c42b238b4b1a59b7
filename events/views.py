"""Console pages for events: the live list with filters, its chart, pictures and CSV export."""
from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, ListView
from rest_framework.exceptions import AuthenticationFailed

from accounts.console import OperatorRequiredMixin
from accounts.selectors import scope_for
from aibox_contract.people import PERSON_TYPES, person_type
from cloudplatform.api_auth import ApiTokenAuthentication
from cloudplatform.spreadsheet import csv_lines
from devices.models import SubDevice
from devices.selectors import area_path, tree_by_id, visible_boxes, visible_tree
from users.selectors import visible_people

from .filters import EventFilterSet
from .pagination import PAGE_SIZE, event_total, keyset_page, oldest_first, parse_cursors
from .selectors import (
    at_place,
    counts_per_box,
    every_event_unfiltered,
    hourly_counts,
    visible_events,
    visible_quarantine,
    with_devices,
)
from .templatetags.console import device_type_label

PAGING = ("page", "after", "before")  # the list's query parameters that are not filters
CSV_COLUMNS = ["occurred_at", "box", "dev_sno", "ep_id", "device_ip", "device_type", "identity_id", "identity_name",
               "group_name", "person_type", "score", "channel", "received_at", "camera_name", "camera_location",
               "device_type_name", "site", "area"]


class EventListView(OperatorRequiredMixin, ListView):
    """Filters that do not parse are shown as form errors (status 400), with no events; the
    operator's events only, their boxes and areas in the filters, their counts in the chart."""

    template_name = "events/event_list.html"
    paginate_by = PAGE_SIZE

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.filters = EventFilterSet(request.GET, queryset=visible_events(self.scope), request=request)
        self.form = self.filters.form
        response = super().get(request, *args, **kwargs)
        if not self.form.is_valid():
            response.status_code = 400
        return response

    def get_queryset(self):
        events = self.filters.qs if self.form.is_valid() else visible_events(self.scope).none()
        return with_devices(events.select_related("box"))

    def paginate_queryset(self, queryset, page_size):
        """Keyset pagination (events.pagination): `after` or `before` a cursor; one that does not
        parse shows the newest page. The total is capped or estimated, never a count of millions."""
        try:
            after, before = parse_cursors(self.request.GET.get("after"), self.request.GET.get("before"))
        except ValueError:
            after = before = None
        page = keyset_page(queryset, after, before, page_size)
        whole = every_event_unfiltered(self.scope, self.request.GET, PAGING)
        self.total = event_total(queryset, whole_table=self.form.is_valid() and whole)
        return None, page, page.events, bool(page.newer or page.older)

    def _filter_query(self):
        query = self.request.GET.copy()
        for name in PAGING:
            query.pop(name, None)
        return query

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self._filter_query()
        valid = self.form.is_valid()
        seen = visible_events(self.scope)
        if valid:  # the chart and per-box counts follow the place filters (box, site or area), not the others
            seen = at_place(seen, self.form.cleaned_data.get("box"), self.form.cleaned_data.get("area"))
        hours = hourly_counts(24, seen)
        page = context.get("page_obj")
        context.update(
            form=self.form, query=query.urlencode(), filtered=any(query.values()), boxes=visible_boxes(self.scope),
            areas=visible_tree(self.scope),
            types=[(value, kind.label) for value, kind in sorted(PERSON_TYPES.items())],
            # Live rows join the first page when they match the filters (checked in events.js).
            live=valid and (page is None or page.newer is None), total=self.total,
            live_filter=self.form.live_filter() if valid else None,
            chart={"labels": [timezone.localtime(hour).strftime("%H:00") for hour, _ in hours],
                   "starts": [hour.isoformat() for hour, _ in hours],
                   "counts": [count for _, count in hours]},
            per_box=counts_per_box(24, seen), quarantined=visible_quarantine(self.scope).count(),
        )
        return context


class EventDetailView(OperatorRequiredMixin, DetailView):
    """One event: both pictures, the score and quality figures, where and when, and who."""

    template_name = "events/event_detail.html"
    context_object_name = "event"

    def get_queryset(self):
        return with_devices(visible_events(self.scope).select_related("box"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object
        others = visible_events(self.scope).none()
        if event.identity_id:
            others = visible_events(self.scope).filter(identity_id=event.identity_id).exclude(pk=event.pk)
        people = visible_people(self.scope)
        context.update(
            person=people.filter(identity_id=event.identity_id).first() if event.identity_id else None,
            camera=SubDevice.objects.filter(box=event.box_id, ep_id=event.ep_id).first() if event.ep_id else None,
            other_count=others.count(),
            others=with_devices(others.select_related("box"))[:10],
            relabels=event.relabels.select_related("by"),
            area_path=area_path(event.box.area_id),
        )
        return context


class QuarantineListView(OperatorRequiredMixin, ListView):
    """Reported events that could not be stored, for the administrator to see and fix at the source."""

    template_name = "events/quarantine.html"
    paginate_by = 50
    context_object_name = "kept"

    def get_queryset(self):
        return visible_quarantine(self.scope).select_related("box").defer("raw")


class TokenOrSessionAdminMixin(OperatorRequiredMixin):
    """Console files that the REST API links to: an operator's session (a browser is sent to
    the login page without one) or, as the API accepts, an API token (`Authorization: Token <key>`)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            found = ApiTokenAuthentication().authenticate(request)
        except AuthenticationFailed as exc:
            return JsonResponse({"detail": str(exc.detail)}, status=401, headers={"WWW-Authenticate": "Token"})
        if found is not None:
            if scope_for(found[0]) is None:
                return JsonResponse({"detail": "Operators only."}, status=403)
            request.user = found[0]
        return super().dispatch(request, *args, **kwargs)


class QuarantinedRawView(TokenOrSessionAdminMixin, View):
    """A quarantined event's raw JSON as it arrived."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        kept = get_object_or_404(visible_quarantine(self.scope), pk=pk)
        response = HttpResponse(kept.raw, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="quarantined-event-{kept.pk}.json"'
        return response


class EventPictureView(TokenOrSessionAdminMixin, View):
    """An event's spot or registration picture (files under MEDIA_ROOT, only for the operators
    who see the event)."""

    def get(self, request: HttpRequest, pk: int, which: str) -> FileResponse:
        event = get_object_or_404(visible_events(self.scope), pk=pk)
        relative = {"spot": event.spot_pic, "reg": event.reg_pic}.get(which)
        if not relative:
            raise Http404("No such picture.")
        path = Path(settings.MEDIA_ROOT) / relative
        if not path.is_file():
            raise Http404("Picture no longer kept.")
        response = FileResponse(path.open("rb"), content_type=mimetypes.guess_type(path.name)[0] or "image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"  # named by content: never changes
        return response


class EventExportView(OperatorRequiredMixin, View):
    """The filtered events as CSV, streamed (no size limit, constant memory). Times are in the
    site's zone with their offset (ISO 8601), as the pages show them."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = EventFilterSet(request.GET, queryset=visible_events(self.scope), request=request)
        if not filters.is_valid():  # the events page, with the filters' errors (400)
            return EventListView.as_view()(request)
        events = with_devices(filters.qs.select_related("box"))
        places = tree_by_id()  # each box's site and area path, read once for the whole export
        rows = ([_local_iso(event.occurred_at), event.box.name, event.box.dev_sno, event.ep_id, event.device_ip,
                 "" if event.device_type is None else event.device_type, event.identity_id, event.identity_name,
                 event.group_name, person_type(event.person_type).label,
                 event.score, event.channel, _local_iso(event.received_at), event.camera_name or "",
                 event.camera_location or "", device_type_label(event.device_type), *_place(places, event.box.area_id)]
                for event in oldest_first(events))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(csv_lines(CSV_COLUMNS, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="events-{stamp}.csv"'
        return response


def _place(places: dict, area_id: int | None) -> tuple[str, str]:
    """The site's name and the area's path ("Campus / Building A / Floor 2"); blanks for no area."""
    row = places.get(area_id)
    return (row.site.name, row.path) if row else ("", "")


def _local_iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="milliseconds")
