"""Reads shared by the console and the REST API: one definition of each filter."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from cloudplatform.params import as_int, as_text

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


def filter_people(people: QuerySet[Person], *, search: str = "", person_type: str | None = None,
                  group: dict | None = None) -> QuerySet[Person]:
    """`search` matches part of a name or identity_id; `group` is a lookup on the permission
    group (by pk in the console, by name in the API)."""
    if search := as_text(search):
        people = people.filter(Q(name__icontains=search) | Q(identity_id__icontains=search))
    if (number := as_int(person_type)) is not None:
        people = people.filter(person_type=number)
    if group and "pk" in group and as_int(group["pk"]) is None:
        return people.none()  # a group id that cannot exist
    group = {key: as_text(value) for key, value in (group or {}).items()}
    if group:
        people = people.filter(**{f"permission_groups__{key}": value for key, value in group.items()})
    return people

