"""What the box registry announces after its writes, for the apps that act on them.

A box that changes area, or an area that moves in the tree, may serve other people (groups
attached to an area serve every box below it): distribution (distribution/receivers.py) listens
and syncs those boxes. devices imports nothing of it (devices sits below, pyproject.toml).
Receivers run at once, inside the write's transaction.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from .models import Box

# boxes: boxes whose place changed, so whom they serve may have changed.
boxes_moved = Signal()


def announce_boxes_moved(boxes: Iterable[Box]) -> None:
    boxes = list(boxes)
    if boxes:
        boxes_moved.send(sender=Box, boxes=boxes)
