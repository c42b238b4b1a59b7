"""Search by face: the events whose face is nearest a probe (a photo's main face, or an event's
embedding), across boxes and time, best first, down to a similarity cut-off.

Candidates come from the index (faces/index.py, approximate at scale) and from the rows written
since it was brought up to date (scanned exactly); every candidate is then scored exactly from
its stored vector, so a score is the one a box would give the same pair (1 - euclidean distance).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from events.models import Event
from events.selectors import with_devices

from .engine import NoFace, current_model, engine, picture_embedding, similarity
from .index import nearest_in_index
from .models import FaceEmbedding
from .services import vector_of

MAX_RESULTS = 500
CANDIDATES_PER_RESULT = 2  # the index is approximate: it is asked for more than is shown


class ProbeRefused(ValueError):
    """No face to search with; the message says why."""


@dataclass
class FaceHit:
    event: Event
    distance: float

    @property
    def score(self) -> float:
        return similarity(self.distance)


@dataclass
class FaceSearch:
    hits: list[FaceHit]
    truncated: bool  # more events pass the cut-off than `limit`


def default_min_score() -> float:
    """The box's own match threshold, as a score: a face nearer than this is the same person."""
    return similarity(engine().threshold)


def probe_from_photo(photo: bytes) -> np.ndarray:
    try:
        return picture_embedding(photo)
    except NoFace as exc:
        raise ProbeRefused(str(exc)) from exc


def probe_from_event(event: Event) -> np.ndarray:
    row = FaceEmbedding.objects.filter(event=event, model=current_model()).first()
    if row is None or row.vector is None:
        why = row.problem if row and row.problem else gettext_noop("This event has no face embedding yet.")
        raise ProbeRefused(why)
    return vector_of(row.vector)


def _candidates(probe: np.ndarray, k: int) -> set[int]:
    found, high_water = nearest_in_index(probe, k)
    events = {event_id for event_id, _ in found}
    fresh = FaceEmbedding.objects.filter(model=current_model(), vector__isnull=False, id__gt=high_water)
    events.update(fresh.values_list("event_id", flat=True))
    return events


def search_by_face(probe: np.ndarray, min_score: float | None = None, limit: int = 100,
                   exclude: int | None = None, among: QuerySet[Event] | None = None) -> FaceSearch:
    """Events whose face scores at least `min_score` (default: the box's threshold) against the
    probe, best first, at most `limit` (≤ MAX_RESULTS); `exclude` leaves out the probe's own event,
    `among` narrows to the events the operator sees (events.selectors.visible_events)."""
    limit = max(1, min(limit, MAX_RESULTS))
    cutoff = default_min_score() if min_score is None else min_score
    candidates = _candidates(probe, CANDIDATES_PER_RESULT * limit + 1)
    candidates.discard(exclude)
    rows = FaceEmbedding.objects.filter(event_id__in=candidates, model=current_model(), vector__isnull=False) \
        .values_list("event_id", "vector")
    if among is not None:
        rows = rows.filter(event_id__in=among.values("pk"))
    scored = sorted((float(np.linalg.norm(vector_of(vector) - probe)), event_id) for event_id, vector in rows)
    passing = [(distance, event_id) for distance, event_id in scored if similarity(distance) >= cutoff]
    shown = passing[:limit]
    events = with_devices(Event.objects.filter(pk__in=[event_id for _, event_id in shown]).select_related("box"))
    by_id = {event.pk: event for event in events}
    hits = [FaceHit(by_id[event_id], distance) for distance, event_id in shown if event_id in by_id]
    return FaceSearch(hits, truncated=len(passing) > limit)
