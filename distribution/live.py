"""What open console pages hear when commands and enrolments change (see cloudplatform.live)."""
from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from cloudplatform import live

from .models import Command, Enrolment


def command_key(command_id: int) -> str:
    return f"command:{command_id}"


def enrolment_key(box_id: int, identity_id: str) -> str:
    return f"enrolment:{box_id}:{identity_id}"


def command_changed(command: Command) -> None:
    context = {"state": command.state, "command": command}
    publish_rendered({command_key(command.pk): ("distribution/_state_badge.html", context)})


def enrolments_changed(enrolments: list[Enrolment], gone: list[Enrolment] = ()) -> None:
    pieces = {enrolment_key(e.box_id, e.identity_id): ("distribution/_enrolment_badge.html", {"enrolment": e})
              for e in enrolments}
    pieces.update({enrolment_key(e.box_id, e.identity_id): ("distribution/_enrolment_badge.html", {"enrolment": None})
                   for e in gone})
    publish_rendered(pieces)


def publish_rendered(pieces: dict[str, tuple[str, dict]]) -> None:
    """Render each (template, context) in every console language: open pages are in different
    languages, and the process that renders (worker, consumer, or a request in another language)
    knows none of them. `fragments` is in the default language, `translated` in the others."""
    def render_all() -> dict[str, str]:
        return {key: render_to_string(template, context) for key, (template, context) in pieces.items()}

    with translation.override(settings.LANGUAGE_CODE):
        fragments = render_all()
    translated = {}
    for code, _name in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE:
            with translation.override(code):
                translated[code] = render_all()
    live.publish_fragments(fragments, translated)
