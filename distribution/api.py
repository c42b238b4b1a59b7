"""Administrators' REST API for commands (read-only: commands are queued by the people and group
writes, and by the console's box actions)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets

from .models import Command
from .selectors import filter_commands
from .serializers import CommandSerializer


@extend_schema(parameters=[
    OpenApiParameter("box", str, description="dev_sno"), OpenApiParameter("state", str),
    OpenApiParameter("method", str),
])
class CommandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CommandSerializer

    def get_queryset(self):
        commands = Command.objects.select_related("box").prefetch_related("outcomes")
        params = self.request.query_params
        box = params.get("box")
        return filter_commands(commands, box={"dev_sno": box} if box else None, state=params.get("state"),
                               method=params.get("method"))
