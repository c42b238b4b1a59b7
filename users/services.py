"""Writes to people and groups. Each one announces what it changed (users/signals.py), inside its
transaction; distribution queues the commands that keep boxes in step."""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from aibox_contract.codes import ContractCodeError
from audit.services import record_action
from devices.models import Area, Box
from devices.selectors import boxes_within

from .models import FaceGroup, PermissionGroup, Person, PersonPhoto
from .photos import check_photo, photo_file, store_photo
from .quality import assess_photo, badge
from .selectors import boxes_serving
from .signals import announce_people_changed, announce_service_changed

MAX_PHOTOS_PER_PERSON = 5


class DuplicateIdentity(ValueError):
    pass


class PhotoRejected(ValueError):
    """A photo not added, with a reason to show as it is (in the active language); `code` is the
    contract's (40003 unreadable, 40004/40006/40009 the box's gate) when one applies."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _new_photo(person: Person, data: bytes, by=None) -> PersonPhoto:
    """Checked, stored and judged, not saved: ContractCodeError when Pillow cannot use it."""
    stored = store_photo(data)
    verdict = assess_photo(data, stored.sha256)
    return PersonPhoto(person=person, path=stored.path, sha256=stored.sha256, thumbnail=stored.thumbnail,
                       uploaded_by=by if by is not None and by.is_authenticated else None, **verdict.fields())


def photos_of(person: Person):
    """The person's photos, read now: never a prefetched (maybe stale) list."""
    return PersonPhoto.objects.filter(person_id=person.pk)


def judge_photo(person: Person, image_bytes: bytes) -> PersonPhoto:
    """The photo as add_person_photo would judge it for `person`, neither stored nor added (an
    unsaved PersonPhoto): the console's check before saving. PhotoRejected when it cannot be read."""
    try:
        check_photo(image_bytes)
    except ContractCodeError as exc:
        raise PhotoRejected(exc.message, exc.code) from exc
    digest = hashlib.sha256(image_bytes).hexdigest()
    return PersonPhoto(person=person, sha256=digest, **assess_photo(image_bytes, digest).fields())


def choose_primary(person: Person) -> bool:
    """Make the pinned photo, else the best (highest quality score, passing the person's gate
    first), the primary one and the person's `photo`; True when the primary photo changed."""
    photos = list(photos_of(person)) or _adopt_legacy_photo(person)
    level = person.gate_level
    best = max(photos, key=lambda p: (p.pinned, p.passes(level), p.score, -p.position), default=None)
    for photo in photos:
        if photo.is_primary != (photo is best):
            PersonPhoto.objects.filter(pk=photo.pk).update(is_primary=photo is best)
            photo.is_primary = photo is best
    path, digest, thumbnail = (best.path, best.sha256, best.thumbnail) if best else ("", "", "")
    before = person.__dict__.pop(_PRIMARY_BEFORE, None) or (person.photo, person.photo_sha256)
    if (person.photo, person.photo_sha256, person.thumbnail) == (path, digest, thumbnail):
        return False
    person.photo, person.photo_sha256, person.thumbnail = path, digest, thumbnail
    if person.pk:
        Person.objects.filter(pk=person.pk).update(photo=path, photo_sha256=digest, thumbnail=thumbnail)
        if before[1] != digest:  # the audit trail's before/after of the primary photo
            record_action(person, "photo_changed", changes={"photo": [before[0], path],
                                                            "photo_sha256": [before[1], digest]})
    return True


def _adopt_legacy_photo(person: Person) -> list[PersonPhoto]:
    """A person whose `photo` was set without a PersonPhoto (written directly, as bench scripts
    do) gets one for it, unassessed, so their photo is never lost by choosing."""
    if not person.pk or not person.photo:
        return []
    return [PersonPhoto.objects.create(person=person, path=person.photo, sha256=person.photo_sha256,
                                       thumbnail=person.thumbnail)]


# What the person's primary photo was before _forget_primary, for choose_primary's audit entry.
_PRIMARY_BEFORE = "_primary_photo_before"


def _forget_primary(person: Person) -> None:
    """Clear the person's primary photo fields before choosing again among what is left."""
    person.__dict__.setdefault(_PRIMARY_BEFORE, (person.photo, person.photo_sha256))
    person.photo = person.photo_sha256 = person.thumbnail = ""
    Person.objects.filter(pk=person.pk).update(photo="", photo_sha256="", thumbnail="")


def add_person_photo(person: Person, image_bytes: bytes, *, by=None, require_gate: bool = False,
                     primary: bool = False, distribute: bool = True) -> PersonPhoto:
    """Add one face photo to a saved person (at most MAX_PHOTOS_PER_PERSON), judged by the boxes'
    face engine (users/quality.py). The best photo becomes primary unless one is pinned
    (`primary=True` pins this one). A photo the person's gate would refuse is kept and flagged,
    unless `require_gate` (then it is refused). Raises PhotoRejected with a readable reason:
    unreadable, already there, five already, fails the gate. Boxes holding the person get
    their photos again (after the transaction that calls this)."""
    try:
        photo = _new_photo(person, image_bytes, by)
    except ContractCodeError as exc:
        raise PhotoRejected(exc.message, exc.code) from exc
    if require_gate and not photo.passes(person.gate_level):
        verdict = photo.levels.get(person.gate_level, {})
        raise PhotoRejected(badge(photo, person.gate_level).reason, verdict.get("code"))
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()  # one writer of a person's photos at a time
        choose_primary(person)  # a person's photo set directly becomes a PersonPhoto first
        existing = photos_of(person)
        if existing.filter(sha256=photo.sha256).exists():
            raise PhotoRejected(_("%(name)s already has this photo.") % {"name": person.name})
        if existing.count() >= MAX_PHOTOS_PER_PERSON:
            raise PhotoRejected(_("%(name)s already has %(count)s photos, the most a person can have; remove one "
                                  "first.") % {"name": person.name, "count": MAX_PHOTOS_PER_PERSON})
        last = existing.aggregate(last=Max("position"))["last"]
        photo.position = 0 if last is None else last + 1
        if primary:
            existing.update(pinned=False)
            photo.pinned = True
        photo.save()
        choose_primary(person)
        if distribute:
            announce_people_changed([person.identity_id], refresh=True)
    return photo


def remove_person_photo(photo: PersonPhoto, *, distribute: bool = True) -> None:
    """Remove one photo; the best of the rest becomes primary (none left: the person is held
    back from boxes, upstream §6.1 requires a photo). The stored file stays: content-addressed,
    another person or an event may use the same picture."""
    person = Person.objects.get(pk=photo.person_id)
    with transaction.atomic():
        photo.delete()
        _forget_primary(person)
        choose_primary(person)
        if distribute:
            announce_people_changed([person.identity_id], refresh=True)


def make_primary_photo(photo: PersonPhoto, *, distribute: bool = True) -> None:
    """Pin `photo` as the person's primary one: what a stock box gets."""
    person = Person.objects.get(pk=photo.person_id)
    with transaction.atomic():
        photos_of(person).exclude(pk=photo.pk).update(pinned=False)
        PersonPhoto.objects.filter(pk=photo.pk).update(pinned=True)
        if choose_primary(person) and distribute:
            announce_people_changed([person.identity_id], refresh=True)


def replace_person_photos(person: Person, photos: list[bytes], *, by=None, distribute: bool = True) -> bool:
    """Make `photos` (at most MAX_PHOTOS_PER_PERSON, in this order) exactly the person's photos,
    keeping the verdicts (and a pin) of those already there; the best becomes primary unless one
    kept is pinned. True when anything changed. Bulk import's "these are the person's photos".
    Raises PhotoRejected (nothing changed)."""
    if len(photos) > MAX_PHOTOS_PER_PERSON:
        raise PhotoRejected(_("%(count)s photos: a person can have at most %(most)s.")
                            % {"count": len(photos), "most": MAX_PHOTOS_PER_PERSON})
    kept = {p.sha256: p for p in photos_of(person)}
    wanted, new = [], []
    for data in photos:
        digest = hashlib.sha256(data).hexdigest()
        if digest in wanted:
            continue
        wanted.append(digest)
        if digest not in kept:
            try:
                new.append(_new_photo(person, data, by))
            except ContractCodeError as exc:
                raise PhotoRejected(exc.message, exc.code) from exc
    with transaction.atomic():
        choose_primary(person)  # a person's photo set directly becomes a PersonPhoto first
        before = person.photo_sha256
        removed = photos_of(person).exclude(sha256__in=wanted).delete()[0]
        _forget_primary(person)
        for photo in new:
            photo.save()
        for position, digest in enumerate(wanted):
            photos_of(person).filter(sha256=digest).update(position=position)
        choose_primary(person)
        changed = bool(removed or new) or person.photo_sha256 != before
        if distribute and changed:
            announce_people_changed([person.identity_id], refresh=True)
    return changed


def _apply_photo(person: Person, photo: bytes | None) -> PersonPhoto | None:
    """The person's new primary photo, checked, judged and stored but not saved (the person may
    not be); None when `photo` is None or is the primary one already."""
    if photo is None:
        return None
    new = _new_photo(person, photo)
    return None if new.sha256 == person.photo_sha256 else new


def _save_primary(person: Person, new: PersonPhoto | None, pin: bool = True) -> bool:
    """Put `new` (from _apply_photo) in place of the person's primary photo, pinned unless not
    `pin`; True when it changed."""
    if new is None:
        return False
    choose_primary(person)  # a person's photo set directly becomes a PersonPhoto first
    photos_of(person).filter(is_primary=True).delete()
    photos_of(person).update(pinned=False)
    same = photos_of(person).filter(sha256=new.sha256).first()
    if same is not None:
        PersonPhoto.objects.filter(pk=same.pk).update(pinned=pin)
    else:
        new.person, new.pinned = person, pin
        new.position = 0
        new.save()
    choose_primary(person)
    return True


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
    first_photo = _apply_photo(person, photo)
    with transaction.atomic():
        if Person.objects.filter(identity_id=identity_id).exists():
            raise DuplicateIdentity(_("identity_id %(id)s is already taken.") % {"id": identity_id})
        person.save()
        _save_primary(person, first_photo, pin=False)
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
    add or remove the person where that changes who a box serves. A `photo` replaces the
    person's primary photo (and is pinned as primary); their other photos stay."""
    if "identity_id" in fields and fields["identity_id"] != person.identity_id:
        raise ValueError("identity_id cannot change; delete the person and create a new one")
    new_photo = _apply_photo(person, photo)
    with transaction.atomic():
        details_changed = any(getattr(person, key) != value for key, value in fields.items())
        for key, value in fields.items():
            setattr(person, key, value)
        person.save()
        # After the fields: the gate (person_type) decides which photo is best.
        details_changed |= _save_primary(person, new_photo) | choose_primary(person)
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


def reassess_photo(photo: PersonPhoto, *, distribute: bool = True) -> None:
    """Judge a stored photo again (manage.py assess_photos); the best photo may change."""
    verdict = assess_photo(photo_file(photo.path).read_bytes())
    with transaction.atomic():
        PersonPhoto.objects.filter(pk=photo.pk).update(**verdict.fields())
        if choose_primary(photo.person) and distribute:
            announce_people_changed([photo.person.identity_id], refresh=True)
