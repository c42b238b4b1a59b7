"""Reads shared by the console and the REST API (the list filters are in users/filters.py)."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from devices.models import Box
from devices.selectors import ancestry, within

from .models import PermissionGroup, Person


def served_by(box) -> QuerySet[Person]:
    """Who a box serves: the members of the permission groups attached to the box, or to its
    area or any area above it (upstream `permission_ids`). The one definition, with
    `boxes_serving` its converse; distribution.selectors narrows it to those who can be sent."""
    reach = Q(permission_groups__boxes=box)
    if box.area_id is not None:
        reach |= Q(permission_groups__areas__in=ancestry(box.area_id))
    return Person.objects.filter(reach).distinct()


def boxes_serving(groups: QuerySet[PermissionGroup]) -> QuerySet[Box]:
    """The boxes `groups` serve: those attached to them, and every box in their areas or below."""
    areas = [area for area in groups.values_list("areas", flat=True) if area is not None]
    return Box.objects.filter(Q(permission_groups__in=groups) | Q(area_id__in=within(areas))).distinct()


def served_within(area_id: int) -> QuerySet[Person]:
    """Everyone some box in the area, or in an area below it, serves (`served_by` of each): the
    site filter of pages about people, such as attendance."""
    boxes = Box.objects.filter(area_id__in=within([area_id]))
    reaching: set[int] = set()
    for box_area in set(boxes.values_list("area_id", flat=True)):
        reaching.update(ancestry(box_area))
    return Person.objects.filter(Q(permission_groups__boxes__in=boxes)
                                 | Q(permission_groups__areas__in=reaching)).distinct()


def sendable(people: QuerySet[Person]) -> QuerySet[Person]:
    """Those who can go to a box: upstream §6.1 requires a photo (reg_photo, reg_url or
    relative_pic_url), so a person without one is held back until one is added."""
    return people.exclude(photo="")


def served_without_photo(box) -> QuerySet[Person]:
    """People `box` serves who are held back for want of a photo."""
    return served_by(box).filter(photo="")
