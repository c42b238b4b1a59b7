"""The REST API for boxes and areas (/api/boxes/, /api/areas/): what the operator's scope
reaches (accounts.scope; devices.selectors.visible_*)."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import ScopedViewMixin
from cloudplatform.api_fields import narrow_choices

from . import services
from .broker import BrokerAdminError
from .models import Area, Box
from .selectors import editable_areas, visible_areas, visible_boxes
from .serializers import AreaSerializer, BoxSerializer, BoxStatusSerializer


def site_managers_place(scope, area: Area | None, field: str) -> None:
    """A site manager's box or area stands inside their sites: never in no area, never a new site."""
    if area is None and not scope.everything:
        raise serializers.ValidationError({field: [_("Choose one of your sites or an area inside them.")]})


class AreaViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    """Sites (areas without a parent) and the areas inside them. Moving an area syncs whom its
    boxes serve; only an empty area (no area inside, no box) can be deleted. A site manager sees
    their sites and changes the areas inside them."""

    serializer_class = AreaSerializer

    def get_queryset(self):
        return visible_areas(self.scope)

    def get_serializer(self, *args, **kwargs):
        return narrow_choices(super().get_serializer(*args, **kwargs), parent=visible_areas(self.scope))

    def perform_create(self, serializer: AreaSerializer) -> None:
        self._save(serializer, Area())

    def perform_update(self, serializer: AreaSerializer) -> None:
        self._save(serializer, serializer.instance)

    def _save(self, serializer: AreaSerializer, area: Area) -> None:
        if area.pk:
            self.require_writable(area, editable_areas(self.scope), _("Only an administrator can change a site."))
        data = serializer.validated_data
        name = data.get("name", area.name)
        parent = data["parent"] if "parent" in data else area.parent
        site_managers_place(self.scope, parent, "parent")
        if Area.objects.filter(name=name, parent=parent).exclude(pk=area.pk).exists():
            raise serializers.ValidationError({"name": "Another area with this name is already there."})
        try:
            serializer.instance = services.save_area(area, name=name, parent=parent)
        except services.AreaError as exc:
            raise serializers.ValidationError({"parent": str(exc)}) from exc

    def perform_destroy(self, instance: Area) -> None:
        self.require_writable(instance, editable_areas(self.scope), _("Only an administrator can change a site."))
        try:
            services.delete_area(instance)
        except services.AreaError as exc:
            raise serializers.ValidationError({"detail": str(exc)}) from exc


class BoxViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    """Boxes, their authorisation codes (dev_sno) and their broker access; a site manager's are
    those standing in their sites."""

    serializer_class = BoxSerializer

    def get_queryset(self):
        return visible_boxes(self.scope)

    def get_serializer(self, *args, **kwargs):
        return narrow_choices(super().get_serializer(*args, **kwargs), area=visible_areas(self.scope))

    def perform_create(self, serializer: BoxSerializer) -> None:
        site_managers_place(self.scope, serializer.validated_data.get("area"), "area")
        serializer.instance = services.create_box(**serializer.validated_data)

    def perform_update(self, serializer: BoxSerializer) -> None:
        if "area" in serializer.validated_data:
            site_managers_place(self.scope, serializer.validated_data["area"], "area")
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
