"""Strangers grouped by face, as their events arrive: online centroid ("leader") clustering.

Each stranger event with a face embedding joins the cluster whose centroid (the mean of its
members' vectors) is nearest, when that centroid scores at least STRANGER_CLUSTER_MIN_SCORE
(1 - euclidean distance, the scale of a box's match and of search by face); else it starts a
cluster of its own. The centroid then moves to the new mean.

Why online and not a periodic DBSCAN/HDBSCAN: the console shows a stranger when they are seen,
not at the next batch run; an event costs one matrix-vector product over the centroids (under a
millisecond at 10 000 clusters, bench/faces.py) and a few rows written, whereas a batch run
re-clusters everything and renumbers clusters an administrator may be looking at (or merged by
hand). What online assignment gets wrong (one person split in two at first sight, two close
faces joined) is put right by hand with merge and split, which recompute exact centroids.

The threshold (0.42, distance 0.58) was measured on the shared photos (29 faces, 7 people incl.
the stranger and scene faces): over 300 random arrival orders no cluster mixed two people below
distance 0.65 and none split a person from 0.575; 0.58 lies in that window, a little stricter
than a box's 0.6, as a cluster may become a person (docs/strangers.md has the table).

Writers take ClusteringState's row lock and a new revision (one at a time, on SQLite and on
PostgreSQL); each process keeps the centroids in memory and catches up by revision, so the
faces worker reads only the clusters changed since its last batch.
"""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, OuterRef, Subquery

from aibox_contract.people import STRANGER
from cloudplatform import live
from events.models import Event, Relabel
from events.services import Label, relabel_events

from .engine import current_model, embedding_size, similarity
from .models import ClusteringState, FaceEmbedding, StrangerCluster, StrangerSighting
from .services import vector_of

logger = logging.getLogger("faces")


def min_score() -> float:
    return float(settings.STRANGER_CLUSTER_MIN_SCORE)


def next_revision() -> int:
    """Take the clustering lock (the row's, held until the transaction ends: an UPDATE takes it)
    and a new revision."""
    if not ClusteringState.objects.filter(pk=1).update(revision=F("revision") + 1):
        ClusteringState.objects.get_or_create(pk=1)  # a fresh database
        ClusteringState.objects.filter(pk=1).update(revision=F("revision") + 1)
    return ClusteringState.objects.values_list("revision", flat=True).get(pk=1)


class Centroids:
    """The centroids of one model's clusters (merged ones aside), in this process."""

    def __init__(self, model: str, dimension: int) -> None:
        self.model, self.dimension = model, dimension
        self.ids = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, dimension), dtype=np.float32)
        self.squared_norms = np.zeros(0, dtype=np.float32)
        self.sizes = np.zeros(0, dtype=np.int64)
        self.rows: dict[int, int] = {}  # cluster id -> row
        self.enrolled: set[int] = set()  # clusters that are a person: their new events are relabelled
        self.count = 0
        self.revision = 0

    def catch_up(self) -> None:
        """Take the clusters written since our revision (by this process or another)."""
        changed = (StrangerCluster.objects.filter(model=self.model, revision__gt=self.revision).order_by()
                   .values_list("id", "centroid", "sightings_count", "state", "revision"))
        for cluster_id, centroid, size, state, revision in changed.iterator(chunk_size=2000):
            if state == StrangerCluster.State.MERGED or size == 0:
                self.remove(cluster_id)
            else:
                self.put(cluster_id, vector_of(centroid), size)
            if state == StrangerCluster.State.ENROLLED:
                self.enrolled.add(cluster_id)
            else:
                self.enrolled.discard(cluster_id)
            self.revision = max(self.revision, revision)

    def put(self, cluster_id: int, centroid: np.ndarray, size: int) -> None:
        row = self.rows.get(cluster_id)
        if row is None:
            row = self._append(cluster_id)
        self.vectors[row] = centroid
        self.squared_norms[row] = float(centroid @ centroid)
        self.sizes[row] = size

    def _append(self, cluster_id: int) -> int:
        if self.count == len(self.ids):  # grow by doubling: amortised O(1) per new cluster
            capacity = max(64, 2 * self.count)
            self.ids = np.resize(self.ids, capacity)
            self.sizes = np.resize(self.sizes, capacity)
            self.squared_norms = np.resize(self.squared_norms, capacity)
            vectors = np.zeros((capacity, self.dimension), dtype=np.float32)
            vectors[: self.count] = self.vectors[: self.count]
            self.vectors = vectors
        row = self.count
        self.ids[row], self.rows[cluster_id] = cluster_id, row
        self.count += 1
        return row

    def remove(self, cluster_id: int) -> None:
        row = self.rows.pop(cluster_id, None)
        if row is None:
            return
        last = self.count - 1
        if row != last:  # the last row fills the gap
            moved = int(self.ids[last])
            self.ids[row], self.vectors[row] = moved, self.vectors[last]
            self.squared_norms[row], self.sizes[row] = self.squared_norms[last], self.sizes[last]
            self.rows[moved] = row
        self.count = last

    def nearest(self, vector: np.ndarray) -> tuple[int, float] | None:
        """(cluster id, euclidean distance) of the nearest centroid; None without any."""
        if self.count == 0:
            return None
        # |c - v|² = |c|² - 2 c·v + |v|²: one matrix-vector product over every centroid.
        live = slice(0, self.count)
        squared = self.squared_norms[live] - 2.0 * (self.vectors[live] @ vector) + float(vector @ vector)
        row = int(np.argmin(squared))
        return int(self.ids[row]), float(np.sqrt(max(float(squared[row]), 0.0)))

    def join(self, cluster_id: int, vector: np.ndarray) -> np.ndarray:
        """Add a member: the centroid moves to the new mean; the new centroid."""
        row = self.rows[cluster_id]
        self.sizes[row] += 1
        self.vectors[row] += (vector - self.vectors[row]) / self.sizes[row]
        self.squared_norms[row] = float(self.vectors[row] @ self.vectors[row])
        return self.vectors[row]


_centroids: Centroids | None = None
_centroids_lock = threading.Lock()


def _current_centroids() -> Centroids:
    global _centroids
    model = current_model()
    if _centroids is None or _centroids.model != model:
        _centroids = Centroids(model, embedding_size())
    return _centroids


def forget_centroids() -> None:
    """The next assignment reads every centroid again (after a rollback; tests)."""
    global _centroids
    _centroids = None


def assign_strangers(event_ids: Iterable[int]) -> dict:
    """Put each stranger event of `event_ids` that has a face embedding and no cluster yet into
    its cluster (a new one if no centroid is near enough). Runs in the faces worker, after the
    embeddings are written (faces.tasks)."""
    model = current_model()
    rows = list(FaceEmbedding.objects.filter(
        event_id__in=list(event_ids), model=model, vector__isnull=False, event__person_type=STRANGER,
        event__stranger_sighting__isnull=True)
        .order_by("event__occurred_at", "event_id")
        .values_list("event_id", "vector", "quality", "event__box_id", "event__occurred_at"))
    if not rows:
        return {"assigned": 0, "new_clusters": 0}
    with _centroids_lock:
        try:
            return _assign(rows, model)
        except BaseException:
            forget_centroids()  # its in-memory moves may have been rolled back
            raise


def _assign(rows: list[tuple], model: str) -> dict:
    cutoff = min_score()
    centroids = _current_centroids()
    with transaction.atomic():
        revision = next_revision()
        if revision <= centroids.revision:  # the database went back (a restore): read it all again
            forget_centroids()
            centroids = _current_centroids()
        centroids.catch_up()
        sightings, touched, created = [], set(), 0
        for event_id, raw, quality, box_id, occurred_at in rows:
            vector = vector_of(raw)
            nearest = centroids.nearest(vector)
            if nearest is not None and similarity(nearest[1]) >= cutoff:
                cluster_id, score = nearest[0], similarity(nearest[1])
                centroids.join(cluster_id, vector)
            else:
                cluster_id, score = StrangerCluster.objects.create(model=model, centroid=raw, revision=revision).pk, 1.0
                centroids.put(cluster_id, vector, 1)
                created += 1
            touched.add(cluster_id)
            sightings.append(StrangerSighting(cluster_id=cluster_id, event_id=event_id, box_id=box_id,
                                              occurred_at=occurred_at, quality=quality, score=score))
        StrangerSighting.objects.bulk_create(sightings)
        fold_in(sightings, revision, {cluster_id: centroids.vectors[centroids.rows[cluster_id]].astype("<f4").tobytes()
                                      for cluster_id in touched})
        if touched & centroids.enrolled:
            _relabel_enrolled(sightings)
        centroids.revision = revision
    announce(touched)
    return {"assigned": len(sightings), "new_clusters": created}


def _relabel_enrolled(sightings: list[StrangerSighting]) -> None:
    """A stranger event that joins an enrolled cluster (seen before the boxes had the person)
    shows the person, as the cluster's earlier events do."""
    by_cluster = defaultdict(list)
    for sighting in sightings:
        by_cluster[sighting.cluster_id].append(sighting.event_id)
    enrolled = StrangerCluster.objects.filter(pk__in=by_cluster, state=StrangerCluster.State.ENROLLED,
                                              person__isnull=False).select_related("person")
    for cluster in enrolled:
        relabel_events(Event.objects.filter(pk__in=by_cluster[cluster.pk]), person_label(cluster.person),
                       Relabel.Reason.STRANGER_ENROLLED)


def person_label(person) -> Label:
    return Label(person.identity_id, person.name, person.person_type)


def fold_in(sightings: list[StrangerSighting], revision: int, centroids: dict[int, bytes]) -> None:
    """Add new sightings to their clusters' summaries (and write their new `centroids`) without
    reading the older sightings: a stranger seen thousands of times costs the same per event.
    A box is new to a cluster unless an older sighting there exists (one indexed lookup)."""
    added = {s.event_id for s in sightings}
    rows = (StrangerCluster.objects.filter(pk__in=centroids).order_by()
            .values("pk", "sightings_count", "box_count", "first_seen", "last_seen", "best_event_id",
                    best_quality=F("best_event__stranger_sighting__quality"),
                    best_seen=F("best_event__stranger_sighting__occurred_at")))
    by_cluster = defaultdict(list)
    for sighting in sightings:
        by_cluster[sighting.cluster_id].append(sighting)
    for row in rows:
        mine = by_cluster[row["pk"]]
        boxes = {s.box_id for s in mine}
        new_boxes = sum(1 for box_id in boxes if not StrangerSighting.objects.filter(
            cluster_id=row["pk"], box_id=box_id).exclude(event_id__in=added).exists())
        # As summarise orders them: the best quality (none counts lowest), then the latest.
        best = max(mine, key=lambda s: (-1.0 if s.quality is None else s.quality, s.occurred_at))
        better = row["best_event_id"] is None or (-1.0 if best.quality is None else best.quality, best.occurred_at) > (
            -1.0 if row["best_quality"] is None else row["best_quality"], row["best_seen"])
        times = [s.occurred_at for s in mine] + [t for t in (row["first_seen"], row["last_seen"]) if t]
        StrangerCluster.objects.filter(pk=row["pk"]).update(
            sightings_count=row["sightings_count"] + len(mine), box_count=row["box_count"] + new_boxes,
            first_seen=min(times), last_seen=max(times), revision=revision, centroid=centroids[row["pk"]],
            best_event_id=best.event_id if better else row["best_event_id"])


def summarise(cluster_ids: Iterable[int], revision: int, centroids: dict[int, bytes] | None = None) -> None:
    """Bring the clusters' counts, first/last seen and best event in line with their sightings,
    and mark them changed at `revision` (with their new `centroids`, when given)."""
    best = (StrangerSighting.objects.filter(cluster=OuterRef("pk"))
            .order_by(F("quality").desc(nulls_last=True), "-occurred_at", "-id").values("event_id")[:1])
    for cluster in (StrangerCluster.objects.filter(pk__in=list(cluster_ids))
                    .annotate(n=Count("sightings"), boxes=Count("sightings__box", distinct=True),
                              first=Min("sightings__occurred_at"), last=Max("sightings__occurred_at"),
                              best=Subquery(best)).order_by().values("pk", "n", "boxes", "first", "last", "best")):
        moved = {"centroid": centroids[cluster["pk"]]} if centroids and cluster["pk"] in centroids else {}
        StrangerCluster.objects.filter(pk=cluster["pk"]).update(
            sightings_count=cluster["n"], box_count=cluster["boxes"], first_seen=cluster["first"],
            last_seen=cluster["last"], best_event_id=cluster["best"], revision=revision, **moved)


def recentre(cluster_ids: Iterable[int]) -> None:
    """Exact centroids, the mean of the members' vectors (after a merge or a split)."""
    vectors = defaultdict(list)
    for cluster_id, raw in (StrangerSighting.objects.filter(cluster_id__in=list(cluster_ids))
                            .values_list("cluster_id", "event__face__vector")):
        if raw is not None:
            vectors[cluster_id].append(vector_of(raw))
    for cluster_id, members in vectors.items():
        centroid = np.mean(np.stack(members), axis=0).astype("<f4")
        StrangerCluster.objects.filter(pk=cluster_id).update(centroid=centroid.tobytes())


def announce(cluster_ids: set[int]) -> None:
    """Open Strangers pages refresh (static/js/strangers.js): those of operators who see every
    site (a stranger may span sites; a site manager's page shows the change on reload)."""
    live.publish("strangers", {"clusters": sorted(cluster_ids)}, site=None)
