"""The audit trail in the console: the entries with filters and a readable before/after, and
their CSV export. For administrators; there is nothing to edit."""
from __future__ import annotations

import json
from datetime import datetime

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from accounts.console import AdministratorRequiredMixin
from cloudplatform.spreadsheet import csv_lines

from .filters import AuditFilterSet
from .models import AuditEntry
from .selectors import action_label, actions, changes_of, entries, kind_label, kinds

CSV_COLUMNS = ["time", "operator", "address", "kind", "object_id", "object", "action", "changes", "details"]


class AuditListView(AdministratorRequiredMixin, ListView):
    """Filters that do not parse are shown as form errors (status 400), with no entries."""

    template_name = "audit/entry_list.html"
    paginate_by = 50

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.filters = AuditFilterSet(request.GET, queryset=entries())
        response = super().get(request, *args, **kwargs)
        if not self.filters.is_valid():
            response.status_code = 400
        return response

    def get_queryset(self):
        return self.filters.qs if self.filters.is_valid() else AuditEntry.objects.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=self.filters.form, query=query.urlencode(), filtered=any(query.values()),
            kinds=kinds(), actions=actions(),
            rows=[(entry, action_label(entry), kind_label(entry), changes_of(entry))
                  for entry in context["object_list"]],
        )
        return context


class AuditExportView(AdministratorRequiredMixin, View):
    """The filtered entries as CSV, streamed, oldest first; one row per entry, its changes as
    "field: before → after" (every cell safe to open in a spreadsheet)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = AuditFilterSet(request.GET, queryset=entries())
        if not filters.is_valid():
            return AuditListView.as_view()(request)
        rows = (_csv_row(entry) for entry in filters.qs.order_by("timestamp", "id").iterator(chunk_size=2000))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(csv_lines(CSV_COLUMNS, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response


def _csv_row(entry: AuditEntry) -> list:
    changes = "; ".join(f"{change.field}: {change.before} → {change.after}" for change in changes_of(entry))
    details = json.dumps(entry.additional_data, ensure_ascii=False) if entry.additional_data else ""
    return [_local_iso(entry.timestamp), entry.actor_name, entry.remote_addr or "", entry.kind, entry.object_pk,
            entry.object_repr, action_label(entry), changes, details]


def _local_iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


