"""`/api/strangers/` (administrators): unknown faces grouped across boxes, and what to do with
them: `enrol/` (one action: a person with the best photos, sent to their groups' boxes, past
events relabelled), `merge/`, `split/`, `dismiss/`."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import ScopedViewMixin
from cloudplatform.filters import LARGEST_ID, IntegerFilter
from devices.selectors import scope_area_ids
from users.serializers import PersonSerializer
from users.services import DuplicateIdentity

from . import strangers
from .models import StrangerCluster
from .stranger_selectors import ANY, boxes_seen, cluster_events, thumbnails, visible_clusters
from .strangers_serializers import (
    EnrolSerializer,
    MergeSerializer,
    SplitSerializer,
    StrangerClusterDetailSerializer,
    StrangerClusterSerializer,
)

EVENTS_SHOWN = 200
ACROSS_SITES = _("A stranger may be seen at other sites' boxes too: only an operator who sees every site can "
                 "change one.")


class StrangerFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=[*StrangerCluster.State.choices, ("all", "all")], method="by_state",
                                        help_text="Default open; `all`: every state but merged")
    box = IntegerFilter(field_name="sightings__box", min_value=1, max_value=LARGEST_ID, distinct=True,
                        help_text="Box id: strangers it saw")
    min_sightings = IntegerFilter(field_name="sightings_count", lookup_expr="gte", min_value=1,
                                  help_text="Seen at least this many times")

    class Meta:
        model = StrangerCluster
        fields: list[str] = []

    def by_state(self, clusters, name: str, value: str):
        return clusters if value == "all" else clusters.filter(state=value)


class StrangerViewSet(ScopedViewMixin, viewsets.ReadOnlyModelViewSet):
    """Strangers (events no box matched) grouped by face, most recently seen first; open ones
    unless `state` says otherwise. A site manager sees those seen at their boxes, and of each
    only their boxes and events; changing one (a face seen across sites) is for operators who
    see every site."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = StrangerFilterSet

    def get_queryset(self):
        if self.action != "list":  # a merged-away stranger's page says where its events went
            return visible_clusters(self.scope, ANY)
        asked = self.request.query_params.get("state")  # filtered by StrangerFilterSet; else the open ones
        return visible_clusters(self.scope, None if asked else StrangerCluster.State.OPEN)

    def get_object(self) -> StrangerCluster:
        cluster = super().get_object()
        if self.request.method == "POST" and not self.scope.everything:
            raise PermissionDenied(ACROSS_SITES)
        return cluster

    def get_serializer_class(self):
        return StrangerClusterDetailSerializer if self.action == "retrieve" else StrangerClusterSerializer

    def _context_for(self, clusters: list[StrangerCluster], **extra) -> dict:
        ids, areas = [cluster.pk for cluster in clusters], scope_area_ids(self.scope)
        return {**self.get_serializer_context(), "boxes": boxes_seen(ids, areas),
                "thumbnails": thumbnails(ids, areas=areas), **extra}

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        shown = StrangerClusterSerializer(page, many=True, context=self._context_for(page))
        return self.get_paginated_response(shown.data)

    @extend_schema(parameters=[OpenApiParameter("events_limit", int,
                                                description=f"Events shown, newest first (default {EVENTS_SHOWN})")])
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self._detail(self.get_object())

    def _detail(self, cluster: StrangerCluster, code: int = status.HTTP_200_OK) -> Response:
        limit = EVENTS_SHOWN
        if self.request.query_params.get("events_limit", "").isdigit():
            limit = max(1, min(int(self.request.query_params["events_limit"]), 10_000))
        context = self._context_for([cluster], events=cluster_events(cluster, limit, scope_area_ids(self.scope)))
        return Response(StrangerClusterDetailSerializer(cluster, context=context).data, status=code)

    @extend_schema(request=EnrolSerializer, responses={201: PersonSerializer}, operation_id="strangers_enrol")
    @action(detail=True, methods=["post"])
    def enrol(self, request: Request, pk=None) -> Response:
        """Turn the stranger into a person (visitor or blacklist) with its best photos (by face
        quality, those a box's gate accepts), in the given groups and so sent to their boxes; its
        past events are relabelled to the person (what the box said stays in their label history)."""
        cluster = self.get_object()  # first: another site's is a 404 whatever was sent
        asked = EnrolSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        try:
            person = strangers.enrol(cluster, **asked.validated_data, by=request.user)
        except DuplicateIdentity as exc:
            raise ValidationError({"identity_id": [str(exc)]}) from exc
        except strangers.StrangerActionRefused as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MergeSerializer, responses=StrangerClusterDetailSerializer, operation_id="strangers_merge")
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk=None) -> Response:
        """The strangers in `others` are this one: their events join it."""
        cluster = self.get_object()
        asked = MergeSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        others = list(StrangerCluster.objects.filter(pk__in=asked.validated_data["others"]))
        if len(others) != len(set(asked.validated_data["others"])):
            raise ValidationError({"others": ["Unknown stranger id."]})
        return self._act(lambda: strangers.merge(cluster, others))

    @extend_schema(request=SplitSerializer, responses={201: StrangerClusterDetailSerializer},
                   operation_id="strangers_split")
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk=None) -> Response:
        """The chosen events are someone else: they leave for a new stranger, which is returned."""
        cluster = self.get_object()
        asked = SplitSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        return self._act(lambda: strangers.split(cluster, asked.validated_data["events"]), code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=StrangerClusterDetailSerializer, operation_id="strangers_dismiss")
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk=None) -> Response:
        """Not worth a look: hidden from the open strangers, and so are its later sightings."""
        cluster = self.get_object()
        return self._act(lambda: strangers.dismiss(cluster))

    def _act(self, change, code: int = status.HTTP_200_OK) -> Response:
        try:
            cluster = change()
        except strangers.StrangerActionRefused as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return self._detail(cluster, code)
