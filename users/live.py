"""What open console pages hear when commands and enrolments change (see cloudplatform.live)."""
from __future__ import annotations

from django.template.loader import render_to_string

from cloudplatform import live

from .models import Command, Enrolment


def command_key(command_id: int) -> str:
    return f"command:{command_id}"


def enrolment_key(box_id: int, identity_id: str) -> str:
    return f"enrolment:{box_id}:{identity_id}"


def command_changed(command: Command) -> None:
    html = render_to_string("users/_state_badge.html", {"state": command.state, "command": command})
    live.publish_fragments({command_key(command.pk): html})


def enrolments_changed(enrolments: list[Enrolment], gone: list[Enrolment] = ()) -> None:
    fragments = {enrolment_key(e.box_id, e.identity_id): render_to_string("users/_enrolment_badge.html",
                                                                          {"enrolment": e})
                 for e in enrolments}
    fragments.update({enrolment_key(e.box_id, e.identity_id): render_to_string("users/_enrolment_badge.html",
                                                                               {"enrolment": None})
                      for e in gone})
    live.publish_fragments(fragments)
