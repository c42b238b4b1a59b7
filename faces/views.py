"""The console's search by face: upload a photo, or start from an event ("find this face elsewhere")."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from cloudplatform.console import AdminRequiredMixin
from cloudplatform.params import as_int
from events.models import Event

from .forms import FaceSearchForm
from .search import ProbeRefused, default_min_score, probe_from_event, probe_from_photo, search_by_face

TEMPLATE = "faces/search.html"


class FaceSearchView(AdminRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        event_id = as_int(request.GET.get("event"))
        form = FaceSearchForm(request.GET if "min_score" in request.GET else None)
        if event_id is None:
            return render(request, TEMPLATE, {"form": form})
        event = get_object_or_404(Event.objects.select_related("box"), pk=event_id)
        min_score = form.cleaned_data.get("min_score") if form.is_bound and form.is_valid() else None
        try:
            probe = probe_from_event(event)
        except ProbeRefused as exc:
            return render(request, TEMPLATE, {"form": form, "probe_event": event, "problem": _(str(exc))})
        return self._results(request, form, probe, min_score, probe_event=event)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = FaceSearchForm(request.POST, request.FILES)
        if not form.is_valid() or not form.cleaned_data.get("photo"):
            if form.is_valid():
                form.add_error("photo", _("Choose a photo with a face."))
            return render(request, TEMPLATE, {"form": form}, status=400)
        try:
            probe = probe_from_photo(form.cleaned_data["photo"].read())
        except ProbeRefused as exc:
            form.add_error("photo", _(str(exc)))
            return render(request, TEMPLATE, {"form": form}, status=400)
        return self._results(request, form, probe, form.cleaned_data.get("min_score"))

    def _results(self, request: HttpRequest, form: FaceSearchForm, probe, min_score: float | None,
                 probe_event: Event | None = None) -> HttpResponse:
        cutoff = default_min_score() if min_score is None else min_score
        found = search_by_face(probe, cutoff, exclude=probe_event.pk if probe_event else None)
        return render(request, TEMPLATE, {"form": form, "probe_event": probe_event, "found": found,
                                          "min_score": cutoff})
