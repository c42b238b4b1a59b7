"""What the people registry announces after its writes, for the apps that act on them.

distribution (distribution/receivers.py) listens and queues the commands that keep boxes in
step; the registry imports nothing of it (distribution sits above users, pyproject.toml's
`platform-layers`). Receivers run at once, inside the write's transaction: a write whose
commands cannot be queued is undone with them.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from devices.models import Box

from .models import PermissionGroup, Person

# identity_ids: people created, edited, regrouped or deleted; refresh: their details or photo
# changed, so boxes that hold them get them again.
people_changed = Signal()
# boxes, identity_ids: whether these boxes serve these people may have changed (a group's
# boxes or members changed, or the group was deleted).
service_changed = Signal()


def announce_people_changed(identity_ids: Iterable[str], refresh: bool = False) -> None:
    people_changed.send(sender=Person, identity_ids=list(identity_ids), refresh=refresh)


def announce_service_changed(boxes: Iterable[Box], identity_ids: Iterable[str]) -> None:
    service_changed.send(sender=PermissionGroup, boxes=list(boxes), identity_ids=list(identity_ids))
