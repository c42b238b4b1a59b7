"""Intake tells; the embedding is computed in the background, after the batch is committed."""
import logging

from django.db import transaction
from django.dispatch import receiver

from events.signals import events_stored

from .tasks import embed_events

logger = logging.getLogger("faces")


@receiver(events_stored)
def embed_in_background(sender, box, keys: list[str], **kwargs) -> None:
    transaction.on_commit(lambda: _publish(box.pk, keys))


def _publish(box_id: int, keys: list[str]) -> None:
    # No retries: intake's answer must not wait for a broker that is away; faces.tasks.embed_missing
    # (beat) embeds what was not published.
    try:
        embed_events.apply_async((box_id, keys), retry=False)
    except Exception:
        logger.exception("could not queue the embedding of %d events of box %s", len(keys), box_id)
