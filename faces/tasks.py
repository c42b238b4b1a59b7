"""Background embedding on a queue of its own ("faces", CELERY_TASK_ROUTES): the Procfile's
`faces` worker runs it, so a backlog of pictures never holds up command publishing, and intake
only schedules it."""
from celery import shared_task

from aibox_contract.people import STRANGER
from events.models import Event

from . import services
from .clustering import assign_strangers
from .index import FaceIndex, index_path

MISSING_PER_RUN = 2000


def _embed_and_cluster(events: list[Event]) -> dict:
    """Embed, then put the strangers among them in their clusters (faces/clustering.py): both
    the box-sent and the computed embeddings are written here, so this is the one hook."""
    done = services.embed_events(events)
    return {**done, **assign_strangers(event.pk for event in events)}


@shared_task
def embed_events(box_id: int, keys: list[str]) -> dict:
    """The events of one intake batch (box and dedup keys, as intake knows them)."""
    return _embed_and_cluster(list(Event.objects.filter(box_id=box_id, dedup_key__in=keys)))


@shared_task
def embed_missing() -> dict:
    """Events with no embedding row (a task that could not be published, events stored before
    this feature), newest first, a bounded number per run."""
    events = list(Event.objects.filter(face__isnull=True).order_by("-id")[:MISSING_PER_RUN])
    return _embed_and_cluster(events) if events else {"embedded": 0, "without_face": 0, "skipped": 0}


@shared_task
def cluster_missing() -> dict:
    """Stranger events with an embedding but no cluster (stored before this feature, or a
    clustering that failed after its embedding was written), oldest first, a bounded number per run."""
    ids = list(Event.objects.filter(person_type=STRANGER, face__vector__isnull=False, stranger_sighting__isnull=True)
               .order_by("occurred_at", "id").values_list("id", flat=True)[:MISSING_PER_RUN])
    return assign_strangers(ids)


@shared_task
def save_face_index() -> dict:
    """Bring the index file up to date (training the IVF index once it is large enough), so a
    process that searches loads it and adds only what came since."""
    from .engine import current_model, embedding_size

    index = FaceIndex(current_model(), embedding_size())
    index.load(index_path())
    added = index.catch_up()
    compacted = index.compact()
    if added or compacted or not index_path().exists():
        index.save(index_path())
    return {"added": added, "compacted": compacted, "total": index.index.ntotal}


@shared_task
def forget_purged_sightings() -> dict:
    """Events older than EVENT_RETENTION_DAYS are purged (events.tasks.purge_old_events) and their
    sightings with them: the clusters first seen before then get their counts, times and best
    picture again; one left with none drops out of the lists and stops attracting faces."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from .clustering import announce, next_revision, summarise
    from .models import StrangerCluster

    cutoff = timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS)
    stale = set(StrangerCluster.objects.filter(first_seen__lt=cutoff).exclude(state=StrangerCluster.State.MERGED)
                .values_list("pk", flat=True))
    if stale:
        with transaction.atomic():
            summarise(stale, next_revision())
        announce(stale)
    return {"clusters": len(stale)}
