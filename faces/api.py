"""`POST /api/search/face/`: every event where a face appears, best first (administrators)."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from events.models import Event

from .search import ProbeRefused, default_min_score, probe_from_event, probe_from_photo, search_by_face
from .serializers import FaceSearchRequestSerializer, FaceSearchResponseSerializer


class FaceSearchView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

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
                event = get_object_or_404(Event, pk=data["event"])
                probe, exclude = probe_from_event(event), event.pk
        except ProbeRefused as exc:
            raise ValidationError({"photo" if "photo" in data else "event": [str(exc)]}) from exc
        min_score = data.get("min_score", default_min_score())
        found = search_by_face(probe, min_score, data["limit"], exclude=exclude)
        results = [{"score": hit.score, "distance": round(hit.distance, 4), "event": hit.event} for hit in found.hits]
        return Response(FaceSearchResponseSerializer(
            {"min_score": min_score, "truncated": found.truncated, "results": results},
            context={"request": request}).data)
