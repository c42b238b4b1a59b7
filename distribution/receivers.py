"""Commands for what the people registry announced (users/signals.py), connected in
DistributionConfig.ready."""
from __future__ import annotations

from django.dispatch import receiver

from devices.models import Box
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
