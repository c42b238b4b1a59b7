"""Console pages for events: the live list with filters, its chart, pictures and CSV export."""
from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views import View
from django.views.generic import ListView
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from cloudplatform.console import AdminRequiredMixin
from cloudplatform.spreadsheet import csv_lines
from devices.models import Box

from .models import Event, QuarantinedEvent
from .selectors import counts_per_box, filter_events_by_params, hourly_counts
from .serializers import PERSON_TYPE_LABELS

CSV_COLUMNS = ["occurred_at", "box", "dev_sno", "ep_id", "device_ip", "device_type", "identity_id", "identity_name",
               "group_name", "person_type", "score", "channel", "received_at"]


class EventListView(AdminRequiredMixin, ListView):
    template_name = "events/event_list.html"
    paginate_by = 50

    def get_queryset(self):
        return filter_events_by_params(self.request.GET).select_related("box")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        hours = hourly_counts(24)
        context.update(
            query=query.urlencode(), filtered=bool(query), boxes=Box.objects.all(),
            types=sorted(PERSON_TYPE_LABELS.items()),
            chart={"labels": [timezone.localtime(hour).strftime("%H:00") for hour, _ in hours],
                   "counts": [count for _, count in hours]},
            per_box=counts_per_box(24), quarantined=QuarantinedEvent.objects.count(),
        )
        return context


class QuarantineListView(AdminRequiredMixin, ListView):
    """Reported events that could not be stored, for the administrator to see and fix at the source."""

    template_name = "events/quarantine.html"
    paginate_by = 50
    context_object_name = "kept"

    def get_queryset(self):
        return QuarantinedEvent.objects.select_related("box").defer("raw")


class TokenOrSessionAdminMixin(AdminRequiredMixin):
    """Console files that the REST API links to: an administrator's session (a browser is sent to
    the login page without one) or, as the API accepts, `Authorization: Token <key>`."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0].lower() == "token":
            try:
                found = TokenAuthentication().authenticate(request)
            except AuthenticationFailed as exc:
                return JsonResponse({"detail": str(exc.detail)}, status=401, headers={"WWW-Authenticate": "Token"})
            if found is None or not found[0].is_staff:
                return JsonResponse({"detail": "Administrators only."}, status=403)
            request.user = found[0]
        return super().dispatch(request, *args, **kwargs)


class QuarantinedRawView(TokenOrSessionAdminMixin, View):
    """A quarantined event's raw JSON as it arrived."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        kept = get_object_or_404(QuarantinedEvent, pk=pk)
        response = HttpResponse(kept.raw, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="quarantined-event-{kept.pk}.json"'
        return response


class EventPictureView(TokenOrSessionAdminMixin, View):
    """An event's spot or registration picture (files under MEDIA_ROOT, only for administrators)."""

    def get(self, request: HttpRequest, pk: int, which: str) -> FileResponse:
        event = get_object_or_404(Event, pk=pk)
        relative = {"spot": event.spot_pic, "reg": event.reg_pic}.get(which)
        if not relative:
            raise Http404("No such picture.")
        path = Path(settings.MEDIA_ROOT) / relative
        if not path.is_file():
            raise Http404("Picture no longer kept.")
        response = FileResponse(path.open("rb"), content_type=mimetypes.guess_type(path.name)[0] or "image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"  # named by content: never changes
        return response


class EventExportView(AdminRequiredMixin, View):
    """The filtered events as CSV, streamed (no size limit, constant memory)."""

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        events = filter_events_by_params(request.GET).select_related("box").order_by("occurred_at", "id")
        rows = ([event.occurred_at.isoformat(), event.box.name, event.box.dev_sno, event.ep_id, event.device_ip,
                 "" if event.device_type is None else event.device_type, event.identity_id, event.identity_name,
                 event.group_name, PERSON_TYPE_LABELS.get(event.person_type, event.person_type),
                 event.score, event.channel, event.received_at.isoformat()]
                for event in events.iterator(chunk_size=2000))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(csv_lines(CSV_COLUMNS, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="events-{stamp}.csv"'
        return response
