"""Commands for what the people registry (users/signals.py) and the box registry
(devices/signals.py) announced, connected in DistributionConfig.ready."""
from __future__ import annotations

from django.dispatch import receiver

from devices.models import Box
from devices.signals import boxes_moved
from users.signals import people_changed, service_changed

from .services import sync_box, sync_people


@receiver(people_changed, dispatch_uid="distribution.sync_changed_people")
def sync_changed_people(sender, *, identity_ids: list[str], refresh: bool, **kwargs) -> None:
    """Every box the people are or were on holds exactly those it serves; with `refresh`, those
    it keeps get their new details."""
    sync_people(identity_ids, refresh=refresh)


@receiver(service_changed, dispatch_uid="distribution.sync_boxes_for_people")
def sync_boxes_for_people(sender, *, boxes: list[Box], identity_ids: list[str], **kwargs) -> None:
    for box in boxes:
        sync_box(box, identity_ids)


@receiver(boxes_moved, dispatch_uid="distribution.sync_moved_boxes")
def sync_moved_boxes(sender, *, boxes: list[Box], **kwargs) -> None:
    """A box in another place may serve other groups (those of its new areas): each holds
    exactly those it serves now."""
    for box in boxes:
        sync_box(box)
