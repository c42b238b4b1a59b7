"""Administrators' REST API for boxes (/api/boxes/)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from . import services
from .broker import BrokerAdminError
from .models import Area, Box
from .serializers import AreaSerializer, BoxSerializer, BoxStatusSerializer


class AreaViewSet(viewsets.ModelViewSet):
    """Sites (areas without a parent) and the areas inside them. Moving an area syncs whom its
    boxes serve; only an empty area (no area inside, no box) can be deleted."""

    queryset = Area.objects.all()
    serializer_class = AreaSerializer

    def perform_create(self, serializer: AreaSerializer) -> None:
        self._save(serializer, Area())

    def perform_update(self, serializer: AreaSerializer) -> None:
        self._save(serializer, serializer.instance)

    def _save(self, serializer: AreaSerializer, area: Area) -> None:
        data = serializer.validated_data
        name = data.get("name", area.name)
        parent = data["parent"] if "parent" in data else area.parent
        if Area.objects.filter(name=name, parent=parent).exclude(pk=area.pk).exists():
            raise serializers.ValidationError({"name": "Another area with this name is already there."})
        try:
            serializer.instance = services.save_area(area, name=name, parent=parent)
        except services.AreaError as exc:
            raise serializers.ValidationError({"parent": str(exc)}) from exc

    def perform_destroy(self, instance: Area) -> None:
        try:
            services.delete_area(instance)
        except services.AreaError as exc:
            raise serializers.ValidationError({"detail": str(exc)}) from exc


class BoxViewSet(viewsets.ModelViewSet):
    """Boxes, their authorisation codes (dev_sno) and their broker access."""

    queryset = Box.objects.all()
    serializer_class = BoxSerializer

    def perform_create(self, serializer: BoxSerializer) -> None:
        serializer.instance = services.create_box(**serializer.validated_data)

    def perform_update(self, serializer: BoxSerializer) -> None:
        serializer.instance = services.update_box(serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance: Box) -> None:
        services.delete_box(instance)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, BrokerAdminError):
            return Response(
                {"detail": f"The message broker refused or is unreachable: {exc}"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return super().handle_exception(exc)

    def _act(self, operation) -> Response:
        box = self.get_object()
        operation(box)
        box.refresh_from_db()
        return Response(self.get_serializer(box).data)

    @extend_schema(request=None, responses=BoxSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        """Refuse the box's logins, remove its broker user and close its connections."""
        return self._act(services.disable_box)

    @extend_schema(request=None, responses=BoxSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        return self._act(services.enable_box)

    @extend_schema(request=None, responses=BoxSerializer)
    @action(detail=True, methods=["post"], url_path="release-binding")
    def release_binding(self, request: Request, pk: str | None = None) -> Response:
        """Forget the bound MAC, so a replacement box can log in with this dev_sno."""
        return self._act(services.release_binding)

    @extend_schema(responses=BoxStatusSerializer)
    @action(detail=True, methods=["get"], url_path="status")
    def box_status(self, request: Request, pk: str | None = None) -> Response:
        """Online or not, the latest status report (CPU, memory, disk) and the sub-devices."""
        return Response(BoxStatusSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=BoxSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-credentials")
    def rotate_credentials(self, request: Request, pk: str | None = None) -> Response:
        """New broker password, the current token voided; the box logs in again."""
        return self._act(services.rotate_credentials)
