"""Box-facing event intake: passage records at the login's recordAddr (/box/events/history) and
live recognitions at realtimeAddr (/box/events/realtime)."""
from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cloudplatform.contract import ContractAPIView, ContractError
from cloudplatform.wire import ContractErrorSerializer
from devices.box_auth import AUTH_PARAMETERS, BOX_REFUSALS, authenticate_box

from .bodies import (
    UNSUPPORTED_MEDIA_TYPE,
    LimitedReader,
    form_events,
    iter_json,
    read_form,
    request_max_bytes,
    too_large,
)
from .box_serializers import PassageRecordSerializer
from .models import Event
from .services import intake_stream

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

_ITEM = inline_serializer("EventIntakeNote", {"index": serializers.IntegerField(),
                                              "reason": serializers.CharField()})
_FLAG = inline_serializer("EventIntakeFlag", {"index": serializers.IntegerField(),
                                              "field": serializers.CharField(), "reason": serializers.CharField()})
INTAKE_ANSWER = inline_serializer("EventsIntake", {"data": inline_serializer("EventsIntakeData", {
    "stored": serializers.IntegerField(help_text="Events stored by this request"),
    "duplicates": serializers.IntegerField(help_text="Events already stored (re-sent), not stored again"),
    "quarantined": serializers.ListField(child=_ITEM, help_text="Events that could not be stored, kept raw "
                                                                 "for the administrator (index in the body)"),
    "flagged": serializers.ListField(child=_FLAG, help_text="Pictures that are not images: not kept, the "
                                                             "event is"),
})})
# JSON: an array of events (or one event object); a form: one event's fields (repeated for N
# events), or one field holding the events as JSON (docs/contract-extensions.md).
REQUEST_BODIES = {
    "application/json": PassageRecordSerializer(many=True),
    "multipart/form-data": PassageRecordSerializer,
    "application/x-www-form-urlencoded": PassageRecordSerializer,
}
# Only a body that is not events at all is refused; a bad event is quarantined (the answer says).
INTAKE_REFUSALS = {**BOX_REFUSALS, 413: ContractErrorSerializer, 415: ContractErrorSerializer}


def body_events(request: Request) -> Iterator:
    """The events of the request's body, read as a stream within the endpoint's size limit."""
    limit = request_max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large(limit)
    # The Django request itself: reading it directly skips DRF's parsers and Django's in-memory
    # body (DATA_UPLOAD_MAX_MEMORY_SIZE), which would hold the whole batch at once.
    stream = LimitedReader(request._request, limit)
    content_type = request.META.get("CONTENT_TYPE", "").strip()
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/json", "text/json") or media.endswith("+json"):
        return iter_json(stream)
    if media in FORM_TYPES:
        return form_events(read_form(stream, content_type))
    raise ContractError(UNSUPPORTED_MEDIA_TYPE, gettext(
        'Unsupported media type "%(media)s": send application/json, multipart/form-data or '
        "application/x-www-form-urlencoded.") % {"media": media}, 415)


def _intake(request: Request, channel: str) -> Response:
    box = authenticate_box(request)
    return Response(intake_stream(box, body_events(request), channel).body())


class HistoryEventsView(ContractAPIView):
    parser_classes: list = []  # the body is read as a stream by body_events()

    @extend_schema(
        operation_id="box_history_events", tags=["box"], parameters=AUTH_PARAMETERS, request=REQUEST_BODIES,
        responses={200: INTAKE_ANSWER, **INTAKE_REFUSALS},
        examples=[OpenApiExample("One good, one without timestamp", response_only=True, value={"data": {
            "stored": 1, "duplicates": 0, "quarantined": [{"index": 1, "reason": "timestamp is required."}],
            "flagged": []}})],
    )
    def post(self, request: Request) -> Response:
        """A batch of passage records (part 2 §4.4.9), at most 100 per the contract, as JSON or a form.
        Each event is judged on its own: good ones stored (re-sent ones recognised and stored once),
        bad ones kept raw in the quarantine and named in the answer, which is still a success so the
        box moves on. A picture that is not an image is not kept; its event is, flagged."""
        return _intake(request, Event.Channel.HISTORY)


class RealtimeEventView(ContractAPIView):
    parser_classes: list = []

    @extend_schema(
        operation_id="box_realtime_event", tags=["box"], parameters=AUTH_PARAMETERS, request=REQUEST_BODIES,
        responses={200: INTAKE_ANSWER, **INTAKE_REFUSALS},
    )
    def post(self, request: Request) -> Response:
        """A recognition as it happens (part 2 §4.4.6; the login's `realtimeAddr`, this platform's
        extension of CONTRACT.md §6). Its history record later completes it instead of adding a
        second event."""
        return _intake(request, Event.Channel.REALTIME)
