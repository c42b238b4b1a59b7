"""Reads about distribution: who a box should hold (the commands list's filters are in
distribution/filters.py)."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.scope import Scope
from devices.models import Box
from devices.selectors import scope_area_ids
from users.models import PermissionGroup, Person
from users.selectors import boxes_serving, sendable, served_by

from .models import Command, CommandOutcome, Enrolment


def entitled_people(box: Box) -> QuerySet[Person]:
    """Those the box should hold, and may be sent details and photos of: the people it serves
    who can be sent (those without a photo wait for one; adding it sends them)."""
    return sendable(served_by(box))


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


def person_outcomes(person: Person) -> QuerySet[CommandOutcome]:
    """What boxes answered about `person`, latest first (their page shows the last 20)."""
    return CommandOutcome.objects.filter(identity_id=person.identity_id).select_related("command__box").order_by(
        "-command__created_at")[:20]


def visible_commands(scope: Scope) -> QuerySet[Command]:
    """Commands to the boxes the operator sees (accounts.scope)."""
    areas = scope_area_ids(scope)
    return Command.objects.all() if areas is None else Command.objects.filter(box__area_id__in=areas)


def visible_enrolments(scope: Scope) -> QuerySet[Enrolment]:
    areas = scope_area_ids(scope)
    return Enrolment.objects.all() if areas is None else Enrolment.objects.filter(box__area_id__in=areas)
