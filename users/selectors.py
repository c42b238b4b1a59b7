"""Reads shared by the console and the REST API (the list filters are in users/filters.py)."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.scope import Scope
from devices.models import Area, Box
from devices.selectors import ancestry, scope_area_ids, visible_boxes, within

from .models import FaceGroup, PermissionGroup, Person


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


# What an operator may see and change (accounts.scope). A site manager sees the groups attached
# to their areas or to boxes standing there, and those groups' people; they change only what
# serves nothing outside their sites (changing a group or a person that other sites' boxes
# serve would change those boxes).

def visible_groups(scope: Scope) -> QuerySet[PermissionGroup]:
    areas = scope_area_ids(scope)
    if areas is None:
        return PermissionGroup.objects.all()
    attached = PermissionGroup.objects.filter(Q(areas__in=areas) | Q(boxes__area_id__in=areas))
    return PermissionGroup.objects.filter(pk__in=attached.values("pk"))


def groups_reaching_out(scope: Scope) -> QuerySet[PermissionGroup]:
    """Groups that serve some box or area outside the scope."""
    areas = scope_area_ids(scope)
    if areas is None:
        return PermissionGroup.objects.none()
    return PermissionGroup.objects.filter(Q(areas__in=Area.objects.exclude(pk__in=areas))
                                          | Q(boxes__in=Box.objects.exclude(area_id__in=areas)))


def writable_groups(scope: Scope) -> QuerySet[PermissionGroup]:
    if not scope.can_write:
        return PermissionGroup.objects.none()
    return visible_groups(scope).exclude(pk__in=groups_reaching_out(scope).values("pk"))


def visible_people(scope: Scope) -> QuerySet[Person]:
    if scope.everything:
        return Person.objects.all()
    return Person.objects.filter(pk__in=Person.objects.filter(permission_groups__in=visible_groups(scope))
                                 .values("pk"))


def face_groups_counted(scope: Scope) -> QuerySet[FaceGroup]:
    """Every face group (they span all sites) with `members`: its people the operator sees."""
    members = Count("people", distinct=True)
    if not scope.everything:
        members = Count("people", filter=Q(people__in=visible_people(scope)), distinct=True)
    return FaceGroup.objects.annotate(members=members)


def writable_people(scope: Scope) -> QuerySet[Person]:
    if not scope.can_write:
        return Person.objects.none()
    reaching = Person.objects.filter(permission_groups__in=groups_reaching_out(scope))
    return visible_people(scope).exclude(pk__in=reaching.values("pk"))


def groups_out_of_sight(person: Person, scope: Scope) -> list[PermissionGroup]:
    """The person's groups the operator does not see: a site manager's edit keeps them."""
    return list(person.permission_groups.exclude(pk__in=visible_groups(scope).values("pk"))) if person.pk else []


def visible_serving(groups: QuerySet[PermissionGroup], scope: Scope) -> QuerySet[Box]:
    """`boxes_serving` narrowed to the boxes the operator sees."""
    return boxes_serving(groups).filter(pk__in=visible_boxes(scope).values("pk"))
