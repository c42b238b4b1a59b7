"""Who goes where: turn "who should be on a box" into add_users_plus / delete_users commands.

The Enrolment table is the platform's record of what each box was asked to hold.
Syncing a box compares it with the people the box serves (members of its permission
groups) and queues commands for the difference, at most COMMAND_BATCH_SIZE ids each,
published by Celery once the database transaction commits.
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction

from audit.services import record_action
from devices.models import Box
from users.models import Person
from users.photos import check_photo

from .models import Command, Enrolment
from .selectors import boxes_holding_or_serving, missing_ids, served_ids
from .tasks import publish_command, publish_one_after_another


def chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def command_query(box: Box, message_id: str) -> str:
    """dev_sno and the command's id, no token: the box appends its current dev_sno and token
    (upstream §6.1), so a command queued before a re-login stays answerable. The messageId
    only scopes the call to this command (CONTRACT.md §6a)."""
    return urlencode({"dev_sno": box.dev_sno, "messageId": message_id})


def queue_command(box: Box, method: str, fields: dict, publish: bool = True) -> Command:
    """A command saved for `box`, published once the transaction commits (`publish=False`: the
    caller publishes it, with `publish_in_order`)."""
    command = Command(box=box, method=method, payload={})
    message_id = str(command.message_id)
    auth = command_query(box, message_id)
    command.payload = {
        "method": method,
        "messageId": message_id,
        **fields,
        "extend_params": {"path": f"/box/persons?{auth}", "notify_path": f"/box/results?{auth}"},
    }
    command.save()
    if publish:
        transaction.on_commit(lambda: publish_command.delay(command.pk))
    return command


def publish_in_order(commands: list[Command]) -> None:
    """Publish `commands` one after the other once the transaction commits
    (tasks.publish_one_after_another)."""
    if commands:
        transaction.on_commit(lambda: publish_one_after_another([command.pk for command in commands]))


def sync_box(box: Box, identity_ids: Iterable[str] | None = None, refresh: Iterable[str] = ()) -> list[Command]:
    """Queue what makes `box` hold exactly the people it serves (all, or among `identity_ids`).
    People in `refresh` are sent again even if the box holds them (their data changed)."""
    ids = None if identity_ids is None else set(identity_ids)
    desired = served_ids(box, ids)
    held = Enrolment.objects.filter(box=box).exclude(state=Enrolment.State.DELETING)
    if ids is not None:
        held = held.filter(identity_id__in=list(ids))
    current = set(held.values_list("identity_id", flat=True))
    to_add = sorted((desired - current) | (desired & set(refresh)))
    to_delete = sorted(current - desired)
    return _add(box, to_add) + _delete(box, to_delete)


def _add(box: Box, identity_ids: list[str], publish: bool = True) -> list[Command]:
    commands = []
    people = dict(Person.objects.filter(identity_id__in=identity_ids).values_list("identity_id", "id"))
    for batch in chunks(identity_ids, settings.COMMAND_BATCH_SIZE):
        command = queue_command(box, Command.Method.ADD_USERS, {"userid_list": batch}, publish=publish)
        _mark(box, batch, Enrolment.State.PENDING, command, people)
        commands.append(command)
    return commands


def _delete(box: Box, identity_ids: list[str]) -> list[Command]:
    commands = []
    for batch in chunks(identity_ids, settings.COMMAND_BATCH_SIZE):
        command = queue_command(box, Command.Method.DELETE_USERS, {"userid_list": batch})
        _mark(box, batch, Enrolment.State.DELETING, command, {})
        commands.append(command)
    return commands


def _mark(box: Box, identity_ids: list[str], state: str, command: Command, people: dict[str, int]) -> None:
    existing = {e.identity_id: e for e in Enrolment.objects.filter(box=box, identity_id__in=identity_ids)}
    new = []
    for identity_id in identity_ids:
        enrolment = existing.get(identity_id) or Enrolment(box=box, identity_id=identity_id)
        enrolment.state, enrolment.command, enrolment.code, enrolment.message = state, command, None, ""
        if identity_id in people:
            enrolment.person_id = people[identity_id]
        if enrolment.pk is None:
            new.append(enrolment)
    Enrolment.objects.bulk_create(new)
    Enrolment.objects.bulk_update(
        [existing[i] for i in identity_ids if i in existing], ["state", "command", "code", "message", "person"]
    )


def sync_people(identity_ids: Iterable[str], refresh: bool = False) -> list[Command]:
    """After people changed (edited, regrouped, deleted): sync every box they are or were on."""
    ids = set(identity_ids)
    commands = []
    for box in boxes_holding_or_serving(ids):
        commands += sync_box(box, ids, refresh=ids if refresh else ())
    return commands


def wipe_box(box: Box, users: bool = True, events: bool = False, publish: bool = True) -> Command:
    """wipe_data alone. Once the box confirms, its enrolments that no later command speaks for
    are void (distribution/results.py); the console offers the two actions below instead."""
    return queue_command(box, Command.Method.WIPE_DATA, {"wipe_options": {"users": users, "events": events}},
                         publish=publish)


def wipe_and_resend(box: Box) -> list[Command]:
    """Wipe the box's people, then send it again everyone it serves (its groups stay): a box
    rebuilt from the platform's record. Until the box answers, those people show pending on
    the sends that follow the wipe, and those it holds but no longer serves show deleting."""
    wipe = wipe_box(box, publish=False)
    served = served_ids(box)
    leaving = list(Enrolment.objects.filter(box=box).exclude(identity_id__in=served)
                   .values_list("identity_id", flat=True))
    _mark(box, leaving, Enrolment.State.DELETING, wipe, {})
    commands = [wipe, *_add(box, sorted(served), publish=False)]
    publish_in_order(commands)  # the wipe first: the sends must reach the box after it
    _record_sent(box, "wipe_and_resend", commands)
    return commands


def wipe_and_detach(box: Box) -> Command:
    """Wipe the box's people and detach every permission group from it: the box serves nobody.
    Everyone it held shows deleting until the box confirms the wipe."""
    box.permission_groups.clear()  # no delete_users: the wipe removes everyone at once
    wipe = wipe_box(box)
    _mark(box, list(Enrolment.objects.filter(box=box).values_list("identity_id", flat=True)),
          Enrolment.State.DELETING, wipe, {})
    _record_sent(box, "wipe_and_detach", [wipe])
    return wipe


def send_fiqa(box: Box, photo: bytes, level: str = "high") -> Command:
    """Ask a box for the face-quality report of a photo (upstream §5.3); checked here first."""
    check_photo(photo)
    command = queue_command(
        box,
        Command.Method.FIQA,
        {"info": {"image_base64_str": base64.b64encode(photo).decode(), "fiqa_level": level}},
    )
    _record_sent(box, "photo_check", [command], photo_sha256=hashlib.sha256(photo).hexdigest(), fiqa_level=level)
    return command


def resync_box(box: Box) -> list[Command]:
    """Send the box everyone it serves again, and delete anyone it should not hold."""
    desired = served_ids(box)
    commands = sync_box(box, refresh=desired)
    _record_sent(box, "resync", commands)
    return commands


def send_missing(box: Box) -> list[Command]:
    """Send the box the people it serves but was never asked to hold (after a wipe, say)."""
    commands = sync_box(box, missing_ids(box))
    _record_sent(box, "send_missing", commands)
    return commands


def send_person(person: Person) -> list[Command]:
    """Send a person to every box that serves them but was not asked to hold them."""
    commands = sync_people([person.identity_id])
    _record_sent(person, "person_sent", commands)
    return commands


def _record_sent(target: Box | Person, operation: str, commands: list[Command], **details) -> None:
    """The audit entry of an operator's action that sends commands: which ones, to which box."""
    sent = [{"method": command.method, "message_id": str(command.message_id), "box": command.box.dev_sno}
            for command in commands]
    if "wipe_options" in (commands[0].payload if commands else {}):
        details["wipe_options"] = commands[0].payload["wipe_options"]
    record_action(target, operation, details={**details, "commands": sent})
