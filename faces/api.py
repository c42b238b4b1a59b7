"""Faces in the API: `POST /api/search/face/` (every event where a face appears, best first),
`POST /api/events/<id>/feedback/` ("wrong match" feedback) and the confirmed and rejected matches'
scores per box and per person (`.../match-scores/`); each over what the operator's scope reaches
(a search reads, so a viewer may post one)."""
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ScopedViewMixin
from devices.selectors import visible_boxes
from events.selectors import visible_events, with_devices
from users.selectors import visible_people, writable_people

from .feedback import FeedbackRefused, give_feedback
from .search import ProbeRefused, default_min_score, probe_from_event, probe_from_photo, search_by_face
from .selectors import match_scores
from .serializers import (
    FaceSearchRequestSerializer,
    FaceSearchResponseSerializer,
    FeedbackRequestSerializer,
    FeedbackResponseSerializer,
    MatchScoresSerializer,
)


class FaceSearchView(ScopedViewMixin, APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    reads_by_post = True

    @extend_schema(request={"multipart/form-data": FaceSearchRequestSerializer,
                            "application/json": FaceSearchRequestSerializer},
                   responses=FaceSearchResponseSerializer, operation_id="search_face")
    def post(self, request: Request) -> Response:
        """Search by face: a photo (multipart `photo`) or an event's face (`event`); the events
        whose face scores at least `min_score`, across boxes and time, best first."""
        asked = FaceSearchRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        data = asked.validated_data
        try:
            if "photo" in data:
                probe, exclude = probe_from_photo(data["photo"].read()), None
            else:
                event = get_object_or_404(visible_events(self.scope), pk=data["event"])
                probe, exclude = probe_from_event(event), event.pk
        except ProbeRefused as exc:
            raise ValidationError({"photo" if "photo" in data else "event": [str(exc)]}) from exc
        min_score = data.get("min_score", default_min_score())
        among = None if self.scope.everything else visible_events(self.scope)
        found = search_by_face(probe, min_score, data["limit"], exclude=exclude, among=among)
        results = [{"score": hit.score, "distance": round(hit.distance, 4), "event": hit.event} for hit in found.hits]
        return Response(FaceSearchResponseSerializer(
            {"min_score": min_score, "truncated": found.truncated, "results": results},
            context={"request": request}).data)


class EventFeedbackView(ScopedViewMixin, APIView):
    @extend_schema(request=FeedbackRequestSerializer, responses=FeedbackResponseSerializer,
                   operation_id="events_feedback")
    def post(self, request: Request, pk: int) -> Response:
        """"Wrong match" feedback on an event: `confirm` the box's match, `reject` it (the event
        then names no one) or `correct` it to `person` (an identity_id), optionally adding its face
        to the right person's photos (`add_photo`: through their quality gate, then sent to the
        boxes holding them). The event is relabelled, what the box said kept in its `relabels`;
        the box's match is kept as confirmed or rejected for the score distributions
        (`/api/boxes/<id>/match-scores/`, `/api/persons/<identity_id>/match-scores/`)."""
        events = visible_events(self.scope)
        event = get_object_or_404(events, pk=pk)
        asked = FeedbackRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        data = asked.validated_data
        person = None
        if data.get("person"):
            person = visible_people(self.scope).filter(identity_id=data["person"]).first()
            if person is None:
                raise ValidationError({"person": [_("No person has identity_id %(id)s.") % {"id": data["person"]}]})
            if data["add_photo"]:  # their photos go to every box serving them
                self.require_writable(person, writable_people(self.scope))
        try:
            done = give_feedback(event, data["verdict"], person, by=request.user, add_photo=data["add_photo"])
        except FeedbackRefused as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        event = with_devices(events.select_related("box")).prefetch_related("relabels__by").get(pk=pk)
        return Response(FeedbackResponseSerializer(
            {"relabelled": done.relabelled, "verdict": done.verdict, "event": event, "photo": done.photo}).data)


def scores_response(distribution) -> Response:
    return Response(MatchScoresSerializer({**vars(distribution), "histogram": distribution.histogram()}).data)


class BoxMatchScoresView(ScopedViewMixin, APIView):
    @extend_schema(responses=MatchScoresSerializer, operation_id="boxes_match_scores")
    def get(self, request: Request, pk: int) -> Response:
        """The scores of this box's matches that administrators confirmed or rejected, the current
        threshold, and the threshold that would have avoided the rejected ones (what it costs)."""
        box = get_object_or_404(visible_boxes(self.scope), pk=pk)
        return scores_response(match_scores(box_id=box.pk))


class PersonMatchScoresView(ScopedViewMixin, APIView):
    @extend_schema(responses=MatchScoresSerializer, operation_id="persons_match_scores")
    def get(self, request: Request, identity_id: str) -> Response:
        """The scores of the matches of this person (as the boxes matched them) that administrators
        confirmed or rejected, the current threshold and the one that would have avoided the rejected."""
        person = get_object_or_404(visible_people(self.scope), identity_id=identity_id)
        boxes = None if self.scope.everything else visible_boxes(self.scope)  # their matches elsewhere stay out
        return scores_response(match_scores(identity_id=person.identity_id, boxes=boxes))
