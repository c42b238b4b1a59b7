"""Writes to people and groups. Each one announces what it changed (users/signals.py), inside its
transaction; distribution queues the commands that keep boxes in step."""
from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from devices.models import Area, Box
from devices.selectors import boxes_within

from .models import FaceGroup, PermissionGroup, Person
from .photos import store_photo
from .selectors import boxes_serving
from .signals import announce_people_changed, announce_service_changed


class DuplicateIdentity(ValueError):
    pass


def _apply_photo(person: Person, photo: bytes | None) -> bool:
    if photo is None:
        return False
    stored = store_photo(photo)
    changed = stored.sha256 != person.photo_sha256
    person.photo, person.photo_sha256, person.thumbnail = stored.path, stored.sha256, stored.thumbnail
    return changed


def create_person(
    *,
    name: str,
    identity_id: str = "",
    person_type: int = 1,
    photo: bytes | None = None,
    permission_groups: Iterable[PermissionGroup] = (),
    face_groups: Iterable[FaceGroup] = (),
    info: dict | None = None,
    distribute: bool = True,
) -> Person:
    """The photo is checked (and stored) before anything is written; a bad one raises ContractCodeError.
    `distribute=False` leaves sending to the caller (bulk import sends everyone in batches at the end)."""
    identity_id = identity_id.strip() or uuid.uuid4().hex
    person = Person(identity_id=identity_id, name=name, person_type=person_type, info=info or {})
    _apply_photo(person, photo)
    with transaction.atomic():
        if Person.objects.filter(identity_id=identity_id).exists():
            raise DuplicateIdentity(_("identity_id %(id)s is already taken.") % {"id": identity_id})
        person.save()
        person.permission_groups.set(permission_groups)
        person.face_groups.set(face_groups)
        if distribute:
            announce_people_changed([identity_id])
    return person


def update_person(
    person: Person,
    *,
    photo: bytes | None = None,
    permission_groups: Iterable[PermissionGroup] | None = None,
    face_groups: Iterable[FaceGroup] | None = None,
    distribute: bool = True,
    **fields,
) -> Person:
    """Changed details or photo are re-sent to the boxes holding the person; group changes
    add or remove the person where that changes who a box serves."""
    if "identity_id" in fields and fields["identity_id"] != person.identity_id:
        raise ValueError("identity_id cannot change; delete the person and create a new one")
    photo_changed = _apply_photo(person, photo)
    with transaction.atomic():
        details_changed = photo_changed or any(getattr(person, key) != value for key, value in fields.items())
        for key, value in fields.items():
            setattr(person, key, value)
        person.save()
        if permission_groups is not None:
            before = set(person.permission_groups.values_list("pk", flat=True))
            person.permission_groups.set(permission_groups)
            details_changed |= before != set(person.permission_groups.values_list("pk", flat=True))
        if face_groups is not None:
            person.face_groups.set(face_groups)
        if distribute:
            announce_people_changed([person.identity_id], refresh=details_changed)
    return person


def delete_person(person: Person) -> None:
    """The boxes still holding the person (their enrolments outlive them) are told to delete them."""
    with transaction.atomic():
        identity_id = person.identity_id
        person.delete()
        announce_people_changed([identity_id])


def save_group(group: PermissionGroup, *, boxes: Iterable[Box] | None = None, areas: Iterable[Area] | None = None,
               **fields) -> PermissionGroup:
    """Create (`group` unsaved) or update a permission group with `fields`, and with `boxes`
    given, make them exactly its boxes (see set_group_boxes), and likewise `areas`. The console's form and the API
    both save through here."""
    with transaction.atomic():
        for key, value in fields.items():
            setattr(group, key, value)
        group.save()
        if boxes is not None:
            set_group_boxes(group, boxes)
        if areas is not None:
            set_group_areas(group, areas)
    return group


def set_group_boxes(group: PermissionGroup, boxes: Iterable[Box]) -> None:
    """Attach or detach boxes: attached boxes get the group's people, detached ones lose
    those they no longer serve through another group."""
    with transaction.atomic():
        before = set(group.boxes.all())
        group.boxes.set(boxes)
        after = set(group.boxes.all())
        announce_service_changed(before ^ after, group.people.values_list("identity_id", flat=True))


def set_group_areas(group: PermissionGroup, areas: Iterable[Area]) -> None:
    """Attach or detach areas: every box in an attached area (or below it) gets the group's
    people, as an attached box does; boxes of a detached one lose those they no longer serve."""
    with transaction.atomic():
        before = set(group.areas.all())
        group.areas.set(areas)
        after = set(group.areas.all())
        changed = {area.pk for area in before ^ after}
        announce_service_changed(boxes_within(changed), group.people.values_list("identity_id", flat=True))


def set_area_groups(area: Area, groups: Iterable[PermissionGroup]) -> None:
    """The area's page: make `groups` exactly those attached to `area` (each through
    set_group_areas, so its boxes are synced as there)."""
    wanted = {group.pk for group in groups}
    with transaction.atomic():
        for group in PermissionGroup.objects.filter(pk__in=wanted).exclude(areas=area):
            set_group_areas(group, [*group.areas.all(), area])
        for group in area.permission_groups.exclude(pk__in=wanted):
            set_group_areas(group, group.areas.exclude(pk=area.pk))


def delete_group(group: PermissionGroup) -> None:
    with transaction.atomic():
        boxes = list(boxes_serving(PermissionGroup.objects.filter(pk=group.pk)))
        members = list(group.people.values_list("identity_id", flat=True))
        group.delete()
        announce_service_changed(boxes, members)


def set_group_members(group: PermissionGroup, people: Iterable[Person]) -> None:
    with transaction.atomic():
        before = set(group.people.values_list("identity_id", flat=True))
        group.people.set(people)
        after = set(group.people.values_list("identity_id", flat=True))
        announce_service_changed(boxes_serving(PermissionGroup.objects.filter(pk=group.pk)), before ^ after)
