"""Reads of stranger clusters (faces/strangers.py writes them) for the console's Strangers pages
and /api/strangers/."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.scope import Scope
from devices.selectors import scope_area_ids
from events.models import Event
from events.selectors import with_devices

from .models import StrangerCluster, StrangerSighting

THUMBNAILS = 4  # best faces shown per cluster in a list


ANY = "any"


def stranger_clusters(state: str | None = StrangerCluster.State.OPEN) -> QuerySet[StrangerCluster]:
    """Clusters, most recently seen first; `state` None: every one but those merged away; ANY: all.
    Lists leave out clusters whose events are all purged (ANY, a page of its own, keeps them)."""
    clusters = StrangerCluster.objects.select_related("person")
    if state == ANY:
        return clusters
    if state == StrangerCluster.State.MERGED:
        return clusters.filter(state=state)
    if state:
        return clusters.filter(state=state, sightings_count__gt=0)
    return clusters.exclude(state=StrangerCluster.State.MERGED).filter(sightings_count__gt=0)


def visible_clusters(scope: Scope, state: str | None = StrangerCluster.State.OPEN) -> QuerySet[StrangerCluster]:
    """The clusters seen at a box the operator sees (accounts.scope); what is shown of each
    (boxes, thumbnails, events) is narrowed by the same `areas` (scope_area_ids) below."""
    clusters = stranger_clusters(state)
    areas = scope_area_ids(scope)
    if areas is None:
        return clusters
    return clusters.filter(pk__in=StrangerSighting.objects.filter(box__area_id__in=areas).values("cluster_id"))


def _sightings(cluster_ids: Iterable[int], areas: set[int] | None) -> QuerySet[StrangerSighting]:
    sightings = StrangerSighting.objects.filter(cluster_id__in=list(cluster_ids))
    return sightings if areas is None else sightings.filter(box__area_id__in=areas)


def _best_first() -> list:
    return [F("quality").desc(nulls_last=True), F("occurred_at").desc(), F("id").desc()]


def thumbnails(cluster_ids: Iterable[int], per_cluster: int = THUMBNAILS,
               areas: set[int] | None = None) -> dict[int, list[int]]:
    """The ids of each cluster's best-quality events that have a picture, best first (seen in
    `areas`, None: anywhere)."""
    ranked = (_sightings(cluster_ids, areas).exclude(event__spot_pic="")
              .annotate(rank=Window(RowNumber(), partition_by=[F("cluster_id")], order_by=_best_first()))
              .filter(rank__lte=per_cluster).order_by("cluster_id", "rank").values_list("cluster_id", "event_id"))
    found: dict[int, list[int]] = defaultdict(list)
    for cluster_id, event_id in ranked:
        found[cluster_id].append(event_id)
    return found


def boxes_seen(cluster_ids: Iterable[int], areas: set[int] | None = None) -> dict[int, list[dict]]:
    """Per cluster, the boxes (in `areas`, None: all) that saw it: id, name and how many times, most first."""
    rows = (_sightings(cluster_ids, areas)
            .values("cluster_id", "box_id", "box__name").annotate(count=Count("id"))
            .order_by("cluster_id", "-count", "box__name"))
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        found[row["cluster_id"]].append({"id": row["box_id"], "name": row["box__name"], "count": row["count"]})
    return found


def cluster_events(cluster: StrangerCluster, limit: int | None = None, areas: set[int] | None = None) -> list[Event]:
    """The cluster's events (at boxes in `areas`, None: all), newest first, each with `sighting`
    (its quality and score) and its camera."""
    sightings = {s.event_id: s for s in _sightings([cluster.pk], areas)}
    events = with_devices(Event.objects.filter(pk__in=sightings).select_related("box")).order_by("-occurred_at", "-id")
    events = list(events[:limit] if limit else events)
    for event in events:
        event.sighting = sightings[event.pk]
    return events
