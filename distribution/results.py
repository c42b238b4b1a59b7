"""Results from boxes (upstream §5.4), by MQ or HTTP, applied once per messageId."""
from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aibox_contract.codes import SERVER_PROCESS_FAILED
from cloudplatform.wire import refusal_message

from . import live
from .box_serializers import CommandResultSerializer
from .models import Command, CommandOutcome, Enrolment, ReceivedResult

logger = logging.getLogger(__name__)
BATCH = 500  # rows per INSERT / UPDATE statement


class ResultRejected(ValueError):
    """The result could not be applied; it is kept in ReceivedResult with the reason."""


def record_result(raw: bytes | str, source: str, dev_sno: str = "", message_id: str = "",
                  authenticated: bool = False) -> ReceivedResult:
    """Keep the result as received, then apply it to its command. Malformed or unknown
    results are kept with the reason (and logged); they never raise (but for the database).

    `message_id` is the one the notify_path named (used when the body has none, as upstream
    §5.4 allows). With `authenticated`, `dev_sno` is the box that proved itself with its
    token: a body naming another box is refused rather than applied to that box's command."""
    return record_results([raw], source, dev_sno, message_id, authenticated)[0]


def record_results(raws: list[bytes | str], source: str, dev_sno: str = "", message_id: str = "",
                   authenticated: bool = False) -> list[ReceivedResult]:
    """A burst of results (the upload queue's deliveries), stored together: one transaction, the
    outcomes, enrolments, commands and received results of all of them written in bulk. Each is
    applied as record_result would, in order: a second result for a command (a redelivery) finds
    it finished and changes nothing. A DatabaseError stores none of them."""
    parsed = [_parsed(raw, source, dev_sno, message_id, authenticated) for raw in raws]
    with transaction.atomic():
        batch = ResultBatch([received.message_id for received, values in parsed if values])
        for received, values in parsed:
            if values is None:
                continue
            try:
                batch.apply(values["data"], values["result"], received.dev_sno, received.message_id)
            except (ValueError, TypeError, KeyError) as exc:  # ResultRejected is a ValueError
                received.error = str(exc)[:300] or exc.__class__.__name__
        batch.write()
        kept = ReceivedResult.objects.bulk_create([received for received, _ in parsed])
    for received in kept:
        if received.error:
            logger.warning("result from %s (%s) not applied: %s", received.dev_sno or "?", source, received.error)
    return kept


def _parsed(raw: bytes | str, source: str, dev_sno: str, message_id: str,
            authenticated: bool) -> tuple[ReceivedResult, dict | None]:
    """The result as it will be kept, and its validated values (None when it is unusable: the
    reason is then its `error`)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    # PostgreSQL text cannot hold NUL, raw or JSON-escaped; nothing in a result needs one.
    text = text.replace("\x00", "\ufffd").replace("\\u0000", "\\ufffd")
    received = ReceivedResult(source=source, body=text[:1_000_000], dev_sno=dev_sno, message_id=message_id[:64])
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ResultRejected("result is not a JSON object")
        values = CommandResultSerializer(data=data)
        if not values.is_valid():
            raise ResultRejected(refusal_message(values.errors))
        received.dev_sno = _sender(values.validated_data, dev_sno, authenticated)[:64]
        received.message_id = _message_id(values.validated_data, message_id)[:64]
    except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError and ResultRejected are ValueErrors
        received.error = str(exc)[:300] or exc.__class__.__name__
        return received, None
    return received, {"data": data, "result": values.validated_data["result"]}


def _sender(values: dict, dev_sno: str, authenticated: bool) -> str:
    named = values["dev_sno"]
    if authenticated and named and named != dev_sno:
        raise ResultRejected(f"the result names box {named!r} but was sent by {dev_sno!r}")
    return dev_sno if authenticated else (named or dev_sno)


def _message_id(values: dict, from_url: str) -> str:
    in_body = values["messageId"]
    if in_body and from_url and in_body != from_url:
        raise ResultRejected(f"messageId {in_body} differs from the notify_path's {from_url}")
    return in_body or from_url


class ResultBatch:
    """Results applied together: what they change is gathered, then written in bulk (write())."""

    def __init__(self, message_ids: list[str]) -> None:
        ids = {str(uuid.UUID(m)) for m in message_ids if is_uuid(m)}
        self.commands = {str(c.message_id): c for c in
                         Command.objects.select_for_update().select_related("box").filter(message_id__in=ids)}
        self.enrolments: dict[int, dict[str, Enrolment]] = defaultdict(dict)
        for enrolment in Enrolment.objects.filter(command_id__in=[c.pk for c in self.commands.values()]):
            self.enrolments[enrolment.command_id][enrolment.identity_id] = enrolment
        self.outcomes: list[CommandOutcome] = []
        self.changed: list[Enrolment] = []
        self.gone: list[Enrolment] = []
        self.finished: list[Command] = []

    def apply(self, data: dict, result: dict, dev_sno: str, message_id: str) -> None:
        """Apply one result (`data` as sent, kept with the command; `result` its validated result)."""
        if not message_id:
            raise ResultRejected("result has no messageId")
        command = self.commands.get(str(uuid.UUID(message_id))) if is_uuid(message_id) else None
        if command is None or command.box.dev_sno != dev_sno:
            raise ResultRejected(f"no command {message_id} was sent to box {dev_sno!r}")
        if command.is_finished and command.state != Command.State.EXPIRED:
            logger.info("duplicate result for %s ignored", message_id)
            return
        if command.method in (Command.Method.ADD_USERS, Command.Method.DELETE_USERS):
            state = self._people(command, data, result)
        elif command.method == Command.Method.WIPE_DATA:
            self.write()  # what came before the wipe is written first: it may remove it
            state = Command.State.DONE if data.get("success") else Command.State.FAILED
            _apply_wipe(command, state, result, data)
        else:  # fiqa: the report is the result
            state = Command.State.DONE if data.get("success") else Command.State.FAILED
        command.state = state
        command.result = data
        command.finished_at = timezone.now()
        command.last_error = "" if data.get("success") else str(data.get("message", ""))[:500]
        self.finished.append(command)

    def _people(self, command: Command, data: dict, result: dict) -> str:
        outcomes = _people_outcomes(command, data, result)  # raises before anything is gathered
        # Only enrolments this command still speaks for: a newer command may have superseded it.
        current = self.enrolments.pop(command.pk, {})
        deleting = command.method == Command.Method.DELETE_USERS
        for outcome in outcomes:
            enrolment = current.get(outcome.identity_id)
            if enrolment is None:
                continue
            if deleting and outcome.success:
                self.gone.append(enrolment)
                continue
            enrolment.state = Enrolment.State.ENROLLED if outcome.success else Enrolment.State.FAILED
            enrolment.code, enrolment.message = outcome.code, outcome.message
            self.changed.append(enrolment)
        self.outcomes += outcomes
        ok = sum(o.success for o in outcomes)
        if ok == len(outcomes):
            return Command.State.DONE
        return Command.State.FAILED if ok == 0 else Command.State.PARTLY_FAILED

    def write(self) -> None:
        """Write what was gathered (a few statements for the whole burst) and tell open pages."""
        # A result after expiry replaces what an earlier one left: none is kept twice.
        CommandOutcome.objects.filter(command__in={o.command_id for o in self.outcomes}).delete()
        CommandOutcome.objects.bulk_create(self.outcomes, batch_size=BATCH)
        Enrolment.objects.filter(pk__in=[e.pk for e in self.gone]).delete()
        _update_alike(self.changed)
        Command.objects.bulk_update(self.finished, ["state", "result", "finished_at", "last_error"], batch_size=BATCH)
        if self.changed or self.gone:
            live.enrolments_changed(self.changed, self.gone)
        for command in self.finished:
            live.command_changed(command)
        self.outcomes, self.changed, self.gone, self.finished = [], [], [], []


def _update_alike(enrolments: list[Enrolment]) -> None:
    """One UPDATE per distinct (state, code, message), usually a handful for a whole burst;
    bulk_update would send a CASE per row and field."""
    alike: dict[tuple, list[int]] = defaultdict(list)
    for enrolment in enrolments:
        alike[(enrolment.state, enrolment.code, enrolment.message)].append(enrolment.pk)
    now = timezone.now()
    for (state, code, message), pks in alike.items():
        for start in range(0, len(pks), BATCH):
            Enrolment.objects.filter(pk__in=pks[start : start + BATCH]).update(
                state=state, code=code, message=message, updated_at=now)


def _apply_wipe(command: Command, state: str, result: dict, data: dict) -> None:
    """A wipe of people voids the enrolments made before it (commands queued after it, such
    as the sends of "wipe and send again", still speak for theirs). A failed wipe leaves
    those it was to remove failed, so that a resync deletes them."""
    if state == Command.State.DONE and (result.get("wipe_options") or {}).get("users", True):
        void = Enrolment.objects.filter(box=command.box).filter(Q(command__isnull=True) | Q(command_id__lte=command.pk))
        gone = list(void)
        void.delete()
        # Open pages say "removed" (the box confirmed it), not "not sent", until they reload.
        live.publish_rendered({live.enrolment_key(e.box_id, e.identity_id): (
            "distribution/_enrolment_badge.html", {"enrolment": None, "removed": True}) for e in gone}, command.box_id)
    elif state == Command.State.FAILED:
        failed = list(Enrolment.objects.filter(command=command))
        for enrolment in failed:
            enrolment.state, enrolment.code = Enrolment.State.FAILED, _code(data.get("code"), SERVER_PROCESS_FAILED)
            enrolment.message = _("The box did not wipe: %(reason)s") % {"reason": str(data.get("message", ""))[:200]}
        Enrolment.objects.bulk_update(failed, ["state", "code", "message"])
        live.enrolments_changed(failed)


def _entries(result: dict, key: str) -> list[dict]:
    entries = result.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "userid" in e for e in entries):
        raise ResultRejected(f"{key} must be a list of objects with a userid")
    return entries


def _people_outcomes(command: Command, data: dict, result: dict) -> list[CommandOutcome]:
    """What the box said about each person the command named (one outcome each)."""
    sent = list(command.payload.get("userid_list", []))
    succeeded = {str(e["userid"]): e for e in _entries(result, "success_users")}
    failed = {str(e["userid"]): e for e in _entries(result, "failed_users")}
    if not succeeded and not failed and not data.get("success"):
        # The whole command failed (bad parameters, system error): every person failed with its code.
        code = _code(data.get("code"), SERVER_PROCESS_FAILED)
        failed = {i: {"code": code, "message": str(data.get("message", ""))} for i in sent}
    outcomes = []
    for identity_id in sent:
        if identity_id in succeeded:
            outcomes.append(CommandOutcome(command=command, identity_id=identity_id, success=True, code=0,
                                           message=str(succeeded[identity_id].get("message", ""))[:300]))
        else:
            entry = failed.get(identity_id, {"code": SERVER_PROCESS_FAILED, "message": "Missing from the result."})
            outcomes.append(CommandOutcome(command=command, identity_id=identity_id, success=False,
                                           code=_code(entry.get("code"), SERVER_PROCESS_FAILED),
                                           message=str(entry.get("message", ""))[:300]))
    return outcomes


def _code(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
