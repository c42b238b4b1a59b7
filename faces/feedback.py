""""Wrong match" feedback (issue 15 item 4): an administrator says of an event "not this person"
(reject), "this is …" (correct, naming the right person) or "right" (confirm).

The event is relabelled through events.services.relabel_events (the one relabel mechanism; the
box's own label is kept in the event's first Relabel), and the box's match gets a MatchVerdict:
confirmed when the event now names whom the box matched, else rejected. Those verdicts' scores
are the distributions per box and per person (faces/selectors.py).

Optionally the event's face (its spot picture) is added to the right person's photos through
users.services.add_person_photo with the person's quality gate required; boxes holding them get
their photos again as after any photo change. A face the gate refuses does not undo the
relabelling: the outcome says why it was not added."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from aibox_contract.people import STRANGER
from audit.services import record_action
from events.models import Event, Relabel
from events.selectors import original_label
from events.services import Label, relabel_events
from users.models import Person, PersonPhoto
from users.services import PhotoRejected, add_person_photo

from .clustering import person_label
from .models import MatchVerdict
from .strangers import release_events

CONFIRM, REJECT, CORRECT = "confirm", "reject", "correct"
VERDICTS = (CONFIRM, REJECT, CORRECT)
NOBODY = Label("", "", STRANGER)


class FeedbackRefused(ValueError):
    """The feedback does not apply to this event; `field` is the request field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class PhotoOutcome:
    person: Person
    added: bool
    photo: PersonPhoto | None = None
    reason: str = ""  # why it was not added (the gate's own words)
    code: int | None = None  # the contract's code for it, when one applies


@dataclass
class Feedback:
    event: Event
    relabelled: bool
    verdict: MatchVerdict | None
    photo: PhotoOutcome | None = None


def names_someone(label: Label) -> bool:
    return bool(label.identity_id) and label.person_type != STRANGER


def label_of(event: Event) -> Label:
    return Label(event.identity_id, event.identity_name, event.person_type)


def reported_label(event: Event) -> Label:
    """Whom the box said the event was, whatever it has been relabelled to since."""
    first = original_label(event)
    if first is None:
        return label_of(event)
    return Label(first.from_identity_id, first.from_identity_name, first.from_person_type)


def _new_label(event: Event, verdict: str, person: Person | None) -> tuple[Label, str] | None:
    """The label the feedback gives the event and the Relabel reason, None for none (a
    confirmation); FeedbackRefused when it does not apply."""
    current = label_of(event)
    if verdict == CONFIRM:
        if not names_someone(current):
            raise FeedbackRefused("verdict", _("This event names no one: there is no match to confirm."))
        return None
    if verdict == REJECT:
        if not names_someone(current):
            raise FeedbackRefused("verdict", _("This event already names no one."))
        return NOBODY, Relabel.Reason.NOT_THIS_PERSON
    if person is None:
        raise FeedbackRefused("person", _("Say who the event is: the person's identity_id."))
    if current.identity_id == person.identity_id:
        raise FeedbackRefused("person", _("The event already names %(name)s.") % {"name": person.name})
    return person_label(person), Relabel.Reason.THIS_IS


def record_verdict(event: Event, by: AbstractBaseUser | None) -> MatchVerdict | None:
    """The box's match (if it reported one) is confirmed when the event names that person now,
    else rejected; one row per event, replaced by the latest word."""
    reported = reported_label(event)
    if not names_someone(reported):
        return None  # the box matched no one: a missed match has no score to keep
    verdict = (MatchVerdict.Verdict.CONFIRMED if event.identity_id == reported.identity_id
               else MatchVerdict.Verdict.REJECTED)
    kept, _created = MatchVerdict.objects.update_or_create(
        event=event, defaults={"box_id": event.box_id, "identity_id": reported.identity_id, "score": event.score,
                               "verdict": verdict, "by": by})
    return kept


def _face_for(event: Event, verdict: str, person: Person | None) -> tuple[Person, bytes]:
    """Whom the face would be added to and the picture; FeedbackRefused when there is no one or nothing."""
    if verdict == REJECT:
        raise FeedbackRefused("add_photo", _("Not this person names no one: say who it is to add the face to "
                                             "their photos."))
    if verdict == CONFIRM:
        person = Person.objects.filter(identity_id=event.identity_id).first() if event.identity_id else None
        if person is None:
            raise FeedbackRefused("add_photo", _("%(id)s is not a person on the platform: there are no photos to "
                                                 "add to.") % {"id": event.identity_id or "—"})
    try:
        picture = (Path(settings.MEDIA_ROOT) / event.spot_pic).read_bytes() if event.spot_pic else None
    except FileNotFoundError:
        picture = None
    if not picture:
        raise FeedbackRefused("add_photo", _("This event has no picture of the face to add."))
    return person, picture


def add_face(person: Person, picture: bytes, by: AbstractBaseUser | None) -> PhotoOutcome:
    """The face as one of the person's photos if it passes their gate (then distributed)."""
    try:
        photo = add_person_photo(person, picture, by=by, require_gate=True)
    except PhotoRejected as exc:
        return PhotoOutcome(person, False, reason=exc.message, code=exc.code)
    return PhotoOutcome(person, True, photo=photo)


def give_feedback(event: Event, verdict: str, person: Person | None = None,
                  by: AbstractBaseUser | None = None, add_photo: bool = False) -> Feedback:
    """Apply an administrator's word on an event: relabel it (reject, correct), keep the verdict
    on the box's match and, with `add_photo`, add its face to the right person's photos.
    FeedbackRefused (nothing written) when it does not apply."""
    if verdict not in VERDICTS:
        raise FeedbackRefused("verdict", _("Say confirm, reject or correct."))
    who = by if by is not None and by.is_authenticated else None
    _new_label(event, verdict, person)  # refused before the face is looked at
    face = _face_for(event, verdict, person) if add_photo else None
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        before = label_of(event)
        change = _new_label(event, verdict, person)  # again: another administrator may have just answered
        relabelled = bool(change) and relabel_events([event], change[0], change[1], by=who) > 0
        if verdict == CORRECT:
            release_events([event.pk])  # someone now: not a stranger's sighting to enrol as another
        event.refresh_from_db()
        kept = record_verdict(event, who)
        record_action(event, "event_feedback", changes={"label": [_shown(before), _shown(label_of(event))]},
                      details={"verdict": verdict, "match": kept.verdict if kept else None})
    # After the relabelling is committed: the face's quality is judged outside its transaction.
    return Feedback(event, relabelled, kept, add_face(*face, who) if face else None)


def _shown(label: Label) -> str:
    """A label as the audit trail shows it: the name and identity_id, or nobody."""
    return f"{label.identity_name} ({label.identity_id})" if label.identity_id else ""
