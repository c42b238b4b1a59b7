"""What open console pages hear when commands and enrolments change (see cloudplatform.live)."""
from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from cloudplatform import live
from devices.selectors import sites_of_boxes

from .models import Command, Enrolment


def command_key(command_id: int) -> str:
    return f"command:{command_id}"


def enrolment_key(box_id: int, identity_id: str) -> str:
    return f"enrolment:{box_id}:{identity_id}"


def command_changed(command: Command) -> None:
    context = {"state": command.state, "command": command}
    publish_rendered({command_key(command.pk): ("distribution/_state_badge.html", context)}, command.box_id)


def enrolments_changed(enrolments: list[Enrolment], gone: list[Enrolment] = ()) -> None:
    """One message per site of the boxes concerned (each page hears its operator's sites only)."""
    by_box: dict[int, dict] = defaultdict(dict)
    for e in enrolments:
        by_box[e.box_id][enrolment_key(e.box_id, e.identity_id)] = ("distribution/_enrolment_badge.html",
                                                                    {"enrolment": e})
    for e in gone:
        by_box[e.box_id][enrolment_key(e.box_id, e.identity_id)] = ("distribution/_enrolment_badge.html",
                                                                    {"enrolment": None})
    by_site: dict[int | None, dict] = defaultdict(dict)
    for box_id, site in sites_of_boxes(by_box).items():
        by_site[site].update(by_box[box_id])
    for site, pieces in by_site.items():
        live.publish_fragments(*rendered(pieces), site=site)


def publish_rendered(pieces: dict[str, tuple[str, dict]], box_id: int) -> None:
    """Render `pieces` about box `box_id` and send them to the pages that see its site."""
    if pieces:
        live.publish_fragments(*rendered(pieces), site=sites_of_boxes([box_id]).get(box_id))


def rendered(pieces: dict[str, tuple[str, dict]]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
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
    return fragments, translated
