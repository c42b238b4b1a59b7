"""REST API over events: `/api/events/` (read-only, filtered, paginated) and the quarantine of
events that could not be stored, `/api/events/quarantine/`."""
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from cloudplatform.params import as_int

from .models import Event, QuarantinedEvent
from .selectors import InvalidFilters, filter_events_by_params, with_devices
from .serializers import EventSerializer, QuarantinedEventSerializer

FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in the name, identity_id, ep_id or device IP"),
    OpenApiParameter("box", OpenApiTypes.INT, description="Box id"),
    OpenApiParameter("type", OpenApiTypes.INT, description="Person type: 1 staff, 2 visitor, 3 blacklist, "
                                                           "4 stranger, 5 VIP"),
    OpenApiParameter("identity_id", OpenApiTypes.STR),
    OpenApiParameter("ep_id", OpenApiTypes.STR, description="Front-end device (<dev_sno>__<ip>)"),
    OpenApiParameter("since", OpenApiTypes.STR, description="From this moment (ISO 8601) or the start of this day "
                     "(YYYY-MM-DD, in the site's TIME_ZONE), inclusive; anything else answers 400"),
    OpenApiParameter("until", OpenApiTypes.STR, description="Until this moment (ISO 8601, inclusive) or the end of "
                     "this day (YYYY-MM-DD, the whole day included); anything else answers 400"),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EventSerializer

    def get_queryset(self):
        events = Event.objects.all()
        if self.action == "list":
            try:
                events = filter_events_by_params(self.request.query_params)
            except InvalidFilters as exc:  # 400 naming each filter and why, not "no filter"
                raise ValidationError({name: list(errors) for name, errors in exc.errors.items()}) from exc
        return with_devices(events.select_related("box")).order_by("-occurred_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("box", OpenApiTypes.INT, description="Box id")],
                   responses=QuarantinedEventSerializer(many=True), operation_id="events_quarantine_list")
    @action(detail=False, url_path="quarantine", serializer_class=QuarantinedEventSerializer)
    def quarantine(self, request: Request) -> Response:
        """Reported events that could not be stored (why, where in their batch, when, how often
        re-sent), newest first; each one's raw JSON is at its `raw_url`."""
        kept = QuarantinedEvent.objects.select_related("box").defer("raw")
        if (box := as_int(request.query_params.get("box"))) is not None:
            kept = kept.filter(box_id=box)
        page = self.paginate_queryset(kept)
        return self.get_paginated_response(QuarantinedEventSerializer(page, many=True).data)

    @extend_schema(responses=QuarantinedEventSerializer, operation_id="events_quarantine_retrieve")
    @action(detail=False, url_path=r"quarantine/(?P<kept_id>[0-9]{1,18})", serializer_class=QuarantinedEventSerializer)
    def quarantined(self, request: Request, kept_id: str) -> Response:
        """One quarantined event."""
        kept = get_object_or_404(QuarantinedEvent.objects.select_related("box").defer("raw"), pk=int(kept_id))
        return Response(QuarantinedEventSerializer(kept).data)
