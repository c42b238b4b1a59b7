"""The REST API for commands (read-only: commands are queued by the people and group writes, and
by the console's box actions): those to the boxes the operator's scope reaches."""
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, viewsets

from accounts.permissions import ScopedViewMixin

from .filters import CommandFilterSet
from .selectors import visible_commands
from .serializers import CommandSerializer


class CommandViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CommandSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CommandFilterSet

    def get_queryset(self):
        return visible_commands(self.scope).select_related("box").prefetch_related("outcomes")
