"""The console's search by face (upload a photo, or start from an event: "find this face
elsewhere"), "wrong match" feedback from the event page, and the confirmed and rejected
matches' scores of a box or a person against the threshold."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.console import OperatorRequiredMixin, require_writable
from cloudplatform.params import as_int
from devices.selectors import visible_boxes
from events.models import Event
from events.selectors import visible_events
from users.selectors import visible_people, writable_people

from .feedback import CONFIRM, REJECT, Feedback, FeedbackRefused, give_feedback
from .forms import FaceSearchForm, FeedbackForm
from .models import MatchVerdict
from .search import ProbeRefused, default_min_score, probe_from_event, probe_from_photo, search_by_face
from .selectors import match_scores

TEMPLATE = "faces/search.html"


class FaceSearchView(OperatorRequiredMixin, View):
    """Among the events the operator sees; a search reads, so a viewer may post a photo."""

    reads_by_post = True

    def get(self, request: HttpRequest) -> HttpResponse:
        event_id = as_int(request.GET.get("event"))
        form = FaceSearchForm(request.GET if "min_score" in request.GET else None)
        if event_id is None:
            return render(request, TEMPLATE, {"form": form})
        event = get_object_or_404(visible_events(self.scope).select_related("box"), pk=event_id)
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
        among = None if self.scope.everything else visible_events(self.scope)
        found = search_by_face(probe, cutoff, exclude=probe_event.pk if probe_event else None, among=among)
        return render(request, TEMPLATE, {"form": form, "probe_event": probe_event, "found": found,
                                          "min_score": cutoff})


class EventFeedbackView(OperatorRequiredMixin, View):
    """The event page's feedback buttons: the answer is a message on the event page (of an
    event the operator sees, naming a person they see; adding the face needs one they may change)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = get_object_or_404(visible_events(self.scope), pk=pk)
        back = redirect(reverse("event-detail", args=[pk]) + "#match-feedback")
        form = FeedbackForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
            return back
        data, person = form.cleaned_data, None
        if data["person"]:
            person = visible_people(self.scope).filter(identity_id=data["person"].strip()).first()
            if person is None:
                messages.error(request, _("No person has identity_id %(id)s.") % {"id": data["person"]})
                return back
            if data["add_photo"]:  # their photos go to every box serving them
                require_writable(person, writable_people(self.scope))
        try:
            done = give_feedback(event, data["verdict"], person, by=request.user, add_photo=data["add_photo"])
        except FeedbackRefused as exc:
            messages.error(request, str(exc))
            return back
        _tell(request, data["verdict"], done)
        return back


def _tell(request: HttpRequest, verdict: str, done: Feedback) -> None:
    reported = done.verdict.identity_id if done.verdict else ""
    if verdict == CONFIRM:
        messages.success(request, _("Match confirmed: %(name)s.") % {"name": done.event.identity_name})
    elif verdict == REJECT:
        messages.success(request, _("Not %(id)s: the event now shows a stranger.") % {"id": reported or "—"})
    else:
        messages.success(request, _("The event is %(name)s now.") % {"name": done.event.identity_name})
    photo = done.photo
    if photo and photo.added:
        messages.success(request, _("The face was added to the photos of %(name)s; the boxes that hold them are "
                                    "being updated.") % {"name": photo.person.name})
    elif photo:
        messages.warning(request, _("The face was not added to the photos of %(name)s: %(reason)s")
                         % {"name": photo.person.name, "reason": photo.reason})


SCORES_TEMPLATE = "faces/match_scores.html"
RECENT_VERDICTS = 50


def _scores_page(request: HttpRequest, context: dict, verdicts) -> HttpResponse:
    distribution = context["distribution"]
    recent = verdicts.select_related("event", "box", "by").order_by("-at", "-id")[:RECENT_VERDICTS]
    chart = {"histogram": distribution.histogram(), "threshold": distribution.threshold,
             "suggested": distribution.suggestion.threshold if distribution.suggestion else None}
    return render(request, SCORES_TEMPLATE, {**context, "recent": recent, "chart": chart,
                                             "total": len(distribution.confirmed) + len(distribution.rejected)})


class BoxMatchScoresView(OperatorRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        box = get_object_or_404(visible_boxes(self.scope), pk=pk)
        return _scores_page(request, {"box": box, "distribution": match_scores(box_id=box.pk)},
                            MatchVerdict.objects.filter(box=box))


class PersonMatchScoresView(OperatorRequiredMixin, View):
    """A person's verdicts and their distribution at the boxes the operator sees (as the API's)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = get_object_or_404(visible_people(self.scope), pk=pk)
        boxes = None if self.scope.everything else visible_boxes(self.scope)  # their matches elsewhere stay out
        verdicts = MatchVerdict.objects.filter(identity_id=person.identity_id)
        if boxes is not None:
            verdicts = verdicts.filter(box__in=boxes)
        distribution = match_scores(identity_id=person.identity_id, boxes=boxes)
        return _scores_page(request, {"person": person, "distribution": distribution}, verdicts)
