"""Administrators' REST API for commands (read-only: commands are queued by the people and group
writes, and by the console's box actions)."""
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, viewsets

from .filters import CommandFilterSet
from .models import Command
from .serializers import CommandSerializer


class CommandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CommandSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CommandFilterSet

    def get_queryset(self):
        return Command.objects.select_related("box").prefetch_related("outcomes")
