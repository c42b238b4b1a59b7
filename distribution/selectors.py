"""Reads about distribution: who a box should hold (the commands list's filters are in
distribution/filters.py)."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.scope import Scope
from devices.models import Box
from devices.selectors import scope_area_ids
from users.models import PermissionGroup, Person, PersonPhoto
from users.selectors import boxes_serving, sendable, served_by

from .models import Command, CommandOutcome, Enrolment


def entitled_people(box: Box) -> QuerySet[Person]:
    """Those the box should hold, and may be sent details and photos of: the people it serves
    who can be sent (those without a photo wait for one; adding it sends them)."""
    return sendable(served_by(box))


def box_photo_path(box: Box, digest: str) -> str | None:
    """The stored path of the photo named by its content hash, when it is a photo (any of the
    several, CONTRACT §6.1 and our `ext_photos`) of someone the box may be sent; else None."""
    people = entitled_people(box)
    photo = PersonPhoto.objects.filter(sha256=digest, person__in=people.values("pk")).values_list("path", flat=True)
    path = photo.first()
    if path is None:  # a person whose photo was set without a PersonPhoto (written directly)
        path = people.filter(photo_sha256=digest).values_list("photo", flat=True).first()
    return path


def served_ids(box: Box, identity_ids: Iterable[str] | None = None) -> set[str]:
    """The identity_ids of `entitled_people` (all, or among `identity_ids`)."""
    people = entitled_people(box)
    if identity_ids is not None:
        people = people.filter(identity_id__in=list(identity_ids))
    return set(people.values_list("identity_id", flat=True))


def missing_ids(box: Box) -> set[str]:
    """People the box serves (and can be sent) that the platform has not asked it to hold:
    the console offers to send them."""
    asked = Enrolment.objects.filter(box=box).exclude(state=Enrolment.State.DELETING)
    return served_ids(box) - set(asked.values_list("identity_id", flat=True))


def boxes_holding_or_serving(identity_ids: Iterable[str]) -> list[Box]:
    ids = list(identity_ids)
    serving = boxes_serving(PermissionGroup.objects.filter(people__identity_id__in=ids))
    holding = Box.objects.filter(enrolments__identity_id__in=ids).distinct()
    return list(serving | holding)


def person_outcomes(person: Person, boxes: QuerySet[Box] | None = None) -> QuerySet[CommandOutcome]:
    """What boxes (all, or those of `boxes`) answered about `person`, latest first (their page
    shows the last 20)."""
    outcomes = CommandOutcome.objects.filter(identity_id=person.identity_id)
    if boxes is not None:
        outcomes = outcomes.filter(command__box__in=boxes)
    return outcomes.select_related("command__box").order_by("-command__created_at")[:20]


def visible_commands(scope: Scope) -> QuerySet[Command]:
    """Commands to the boxes the operator sees (accounts.scope)."""
    areas = scope_area_ids(scope)
    return Command.objects.all() if areas is None else Command.objects.filter(box__area_id__in=areas)


def visible_enrolments(scope: Scope) -> QuerySet[Enrolment]:
    areas = scope_area_ids(scope)
    return Enrolment.objects.all() if areas is None else Enrolment.objects.filter(box__area_id__in=areas)
