"""Reads shared by the console and the REST API (the list filters are in users/filters.py)."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import Person


def served_by(box) -> QuerySet[Person]:
    """Who a box serves: the members of its permission groups (upstream `permission_ids`).
    The one definition; distribution.selectors narrows it to those who can be sent."""
    return Person.objects.filter(permission_groups__boxes=box).distinct()


def sendable(people: QuerySet[Person]) -> QuerySet[Person]:
    """Those who can go to a box: upstream §6.1 requires a photo (reg_photo, reg_url or
    relative_pic_url), so a person without one is held back until one is added."""
    return people.exclude(photo="")


def served_without_photo(box) -> QuerySet[Person]:
    """People `box` serves who are held back for want of a photo."""
    return served_by(box).filter(photo="")
