"""Writing face embeddings: the one an event's box sent (ext_data.face_embedding), else one the
platform computes from the stored spot picture; or, when neither can be had, why not."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from aibox_contract.embedding import FIELD, EmbeddingRefused, decode
from cloudplatform.db.prepared import PreparedInsert
from events.models import Event

from .engine import NoFace, current_model, embedding_size, picture_face
from .models import FaceEmbedding
from .quality import face_quality, reported_quality

logger = logging.getLogger("faces")


@dataclass
class Outcome:
    vector: bytes | None
    source: str
    problem: str = ""
    quality: float | None = None


def sent_embedding(event: Event) -> Outcome | None:
    """The box's own embedding, if it sent one of the model the platform runs."""
    field = event.ext_data.get(FIELD) if isinstance(event.ext_data, dict) else None
    if field is None:
        return None
    try:
        model, raw = decode(field, embedding_size())
    except EmbeddingRefused as exc:
        logger.info("event %s: %s", event.pk, exc)
        return None
    if model != current_model():
        return None  # another model's vector does not compare with ours: computed again below
    return Outcome(raw, FaceEmbedding.Source.BOX, quality=reported_quality(event.box_fiqa_info))


NO_PICTURE = gettext_noop("No spot picture.")


def has_a_face_to_embed(event: Event) -> bool:
    """A spot picture, or the box's own embedding (judged when the work is done)."""
    return bool(event.spot_pic) or (isinstance(event.ext_data, dict) and FIELD in event.ext_data)


def record_nothing_to_embed(event_ids: list[int]) -> None:
    """Events with neither a spot picture nor a box's embedding get their "no picture" row at
    once, in bulk, at intake: a background task per batch for them cost intake more than the
    rows do (bench/box_calls.py). An event that has its row already (a realtime report the
    history record completes without a picture) keeps it. It runs in intake's write transaction,
    after the events' insert gave their ids, so its statement cannot be made earlier; it is made
    without bulk_create's machinery all the same (cloudplatform/db/prepared.py)."""
    model = current_model()
    PreparedInsert([FaceEmbedding(event_id=event_id, vector=None, model=model, source=FaceEmbedding.Source.PLATFORM,
                                  problem=NO_PICTURE) for event_id in event_ids]).run()


def computed_embedding(event: Event) -> Outcome:
    """The embedding of the main face in the event's spot picture."""
    if not event.spot_pic:
        return Outcome(None, FaceEmbedding.Source.PLATFORM, NO_PICTURE)
    try:
        picture = (Path(settings.MEDIA_ROOT) / event.spot_pic).read_bytes()
        vector, info = picture_face(picture)
    except FileNotFoundError:
        return Outcome(None, FaceEmbedding.Source.PLATFORM, gettext_noop("The spot picture's file is gone."))
    except NoFace as exc:
        return Outcome(None, FaceEmbedding.Source.PLATFORM, str(exc)[:200])
    return Outcome(vector.astype("<f4").tobytes(), FaceEmbedding.Source.PLATFORM, quality=face_quality(info))


def embed_events(events: list[Event]) -> dict:
    """Embed each event that has no vector yet; the rows are written together, after the work,
    so the transaction is short (faces/index.py relies on that)."""
    done = set(FaceEmbedding.objects.filter(event__in=events, vector__isnull=False).values_list("event_id", flat=True))
    outcomes = {event.pk: sent_embedding(event) or computed_embedding(event)
                for event in events if event.pk not in done}
    model = current_model()
    with transaction.atomic():
        # Replaced, not updated: a row gets a new, higher id, and the search index, which
        # catches up by id (faces/index.py), sees a picture that came later (history after realtime).
        FaceEmbedding.objects.filter(event_id__in=outcomes).delete()
        FaceEmbedding.objects.bulk_create(
            FaceEmbedding(event_id=event_id, vector=outcome.vector, model=model, source=outcome.source,
                          problem=outcome.problem, quality=outcome.quality)
            for event_id, outcome in outcomes.items())
    embedded = sum(1 for outcome in outcomes.values() if outcome.vector is not None)
    return {"embedded": embedded, "without_face": len(outcomes) - embedded, "skipped": len(done)}


def vector_of(row_vector: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(row_vector), dtype="<f4").astype(np.float32)
