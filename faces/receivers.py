"""Intake tells; the embedding is computed in the background, after the batch is committed;
an event with nothing to embed gets its row with the batch."""
import logging

from django.db import transaction
from django.dispatch import receiver

from events.signals import events_stored

from .services import has_a_face_to_embed, record_nothing_to_embed
from .tasks import embed_events

logger = logging.getLogger("faces")


@receiver(events_stored)
def embed_in_background(sender, box, events: list, **kwargs) -> None:
    to_embed, nothing = [], []
    for event in events:
        if has_a_face_to_embed(event):
            to_embed.append(event.dedup_key)
        else:
            nothing.append(event.pk)  # intake gave each event its id
    if to_embed:
        transaction.on_commit(lambda: _publish(box.pk, to_embed))
    if nothing:
        # In intake's transaction: no task, no broker round trip, no second write transaction.
        record_nothing_to_embed(nothing)


def _publish(box_id: int, keys: list[str]) -> None:
    # No retries: intake's answer must not wait for a broker that is away; faces.tasks.embed_missing
    # (beat) embeds what was not published.
    try:
        embed_events.apply_async((box_id, keys), retry=False)
    except Exception:
        logger.exception("could not queue the embedding of %d events of box %s", len(keys), box_id)
