"""REST API over events: `/api/events/` (read-only, filtered, paginated) and the quarantine of
events that could not be stored, `/api/events/quarantine/`."""
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import ScopedViewMixin

from .filters import EventFilterSet, QuarantineFilterSet
from .pagination import EventKeysetPagination
from .selectors import every_event_unfiltered, visible_events, visible_quarantine, with_devices
from .serializers import EventDetailSerializer, EventSerializer, QuarantinedEventSerializer


class EventViewSet(ScopedViewMixin, viewsets.ReadOnlyModelViewSet):
    """The events of the boxes the operator's scope reaches."""

    serializer_class = EventSerializer
    # A filter that does not parse answers 400 naming it and why, not "no filter".
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilterSet
    # Millions of events: pages by keyset, a capped or estimated count (events.pagination).
    pagination_class = EventKeysetPagination

    @property
    def whole_table(self) -> bool:
        return every_event_unfiltered(self.scope, self.request.query_params, EventKeysetPagination.paging)

    def get_serializer_class(self):
        return EventDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def get_queryset(self):
        if self.action == "retrieve":
            return with_devices(visible_events(self.scope).select_related("box")).prefetch_related("relabels__by")
        if self.action in ("quarantine", "quarantined"):
            return visible_quarantine(self.scope).select_related("box").defer("raw")
        return with_devices(visible_events(self.scope).select_related("box")).order_by("-occurred_at", "-id")

    def filter_queryset(self, queryset):
        # The lists' filters; one event is found by its id alone.
        return super().filter_queryset(queryset) if self.action in ("list", "quarantine") else queryset

    @extend_schema(responses=QuarantinedEventSerializer(many=True), operation_id="events_quarantine_list")
    @action(detail=False, url_path="quarantine", serializer_class=QuarantinedEventSerializer,
            filterset_class=QuarantineFilterSet, pagination_class=LimitOffsetPagination)
    def quarantine(self, request: Request) -> Response:
        """Reported events that could not be stored (why, where in their batch, when, how often
        re-sent), newest first; each one's raw JSON is at its `raw_url`."""
        kept = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(kept)
        return self.get_paginated_response(QuarantinedEventSerializer(page, many=True).data)

    @extend_schema(responses=QuarantinedEventSerializer, operation_id="events_quarantine_retrieve")
    @action(detail=False, url_path=r"quarantine/(?P<kept_id>[0-9]{1,18})", serializer_class=QuarantinedEventSerializer)
    def quarantined(self, request: Request, kept_id: str) -> Response:
        """One quarantined event."""
        kept = get_object_or_404(self.get_queryset(), pk=int(kept_id))
        return Response(QuarantinedEventSerializer(kept).data)
