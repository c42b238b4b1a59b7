"""REST API over events: `/api/events/` (read-only, filtered, paginated)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from .models import Event
from .selectors import filter_events_by_params
from .serializers import EventSerializer

FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in the name, identity_id, ep_id or device IP"),
    OpenApiParameter("box", OpenApiTypes.INT, description="Box id"),
    OpenApiParameter("type", OpenApiTypes.INT, description="Person type: 1 staff, 2 visitor, 3 blacklist, "
                                                           "4 stranger, 5 VIP"),
    OpenApiParameter("identity_id", OpenApiTypes.STR),
    OpenApiParameter("ep_id", OpenApiTypes.STR, description="Front-end device (<dev_sno>__<ip>)"),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this moment (or day), inclusive"),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Until this moment (or the end of this day)"),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EventSerializer

    def get_queryset(self):
        events = filter_events_by_params(self.request.query_params) if self.action == "list" else Event.objects.all()
        return events.select_related("box").order_by("-occurred_at", "-id")
