"""Box-facing event intake: passage records at the login's recordAddr (/box/events/history)."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from cloudplatform.contract import ContractAPIView
from devices.box_auth import authenticate_box
from users.box_api import AUTH_PARAMETERS

from .models import Event
from .services import intake_events


class HistoryEventsView(ContractAPIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="box_history_events", tags=["box"], parameters=AUTH_PARAMETERS,
        request={"application/json": list},
        responses={200: inline_serializer("EventsStored", {"data": serializers.DictField()})},
    )
    def post(self, request: Request) -> Response:
        """A batch of passage records (part 2 §4.4.9), at most 100 per the contract. Re-sent events
        are recognised and stored once; a bad event refuses the whole batch with its position."""
        box = authenticate_box(request)
        result = intake_events(box, request.data, Event.Channel.HISTORY)
        return Response({"data": {"stored": result.stored, "duplicates": result.duplicates}})


class RealtimeEventView(ContractAPIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="box_realtime_event", tags=["box"], parameters=AUTH_PARAMETERS,
        request={"application/json": dict},
        responses={200: inline_serializer("RealtimeStored", {"data": serializers.DictField()})},
    )
    def post(self, request: Request) -> Response:
        """A recognition as it happens (the login's `realtimeAddr`, this platform's extension of
        CONTRACT.md §6). Its history record later completes it instead of adding a second event."""
        box = authenticate_box(request)
        result = intake_events(box, request.data, Event.Channel.REALTIME)
        return Response({"data": {"stored": result.stored, "duplicates": result.duplicates}})
