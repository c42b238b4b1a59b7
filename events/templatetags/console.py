"""What console pages show instead of raw values: times in the site's zone, device types in
words, extra data as tables.

One clock: every time on every page is shown in the site's time zone (settings.TIME_ZONE,
`TIME_ZONE` in the environment), named in the page footer, as YYYY-MM-DD HH:MM:SS (24 h) in
every language. Rows added live are formatted the same way in the browser by
static/js/live.js (`consoleLive.formatTime`), with the zone the page gives in
<body data-time-zone>, so a live row and a reloaded one read alike whatever the browser's zone.
"""
from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.html import format_html, format_html_join, json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aibox_contract.devices import DEVICE_TYPES
from aibox_contract.people import PERSON_TYPES, person_type

register = template.Library()

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # static/js/live.js formatTime writes the same

# Names of the quality figures boxes and cameras report (grab_fiqa_info, box_fiqa_info, fiqa).
FIELD_NAMES = {
    "face_size": gettext_lazy("Face size"), "clarity": gettext_lazy("Clarity"),
    "brightness": gettext_lazy("Brightness"), "headpose": gettext_lazy("Head pose"),
    "roll_angle": gettext_lazy("Roll"), "pitch_angle": gettext_lazy("Pitch"), "yaw_angle": gettext_lazy("Yaw"),
    "roll": gettext_lazy("Roll"), "pitch": gettext_lazy("Pitch"), "yaw": gettext_lazy("Yaw"),
    "partial": gettext_lazy("Face cut off"), "mask": gettext_lazy("Mask"),
    "occlusion": gettext_lazy("Occlusion"), "fiqa_result": gettext_lazy("Quality passes"),
    "success": gettext_lazy("Checks passed"), "fails": gettext_lazy("Checks failed"),
    "info": gettext_lazy("Figures"), "age": gettext_lazy("Age"), "sex": gettext_lazy("Sex"),
    "confidence": gettext_lazy("Confidence"), "eye_dist": gettext_lazy("Eye distance"),
    "rect": gettext_lazy("Face box"), "rel_rect": gettext_lazy("Face box in the picture"),
    "face_id": gettext_lazy("Face id"), "score": gettext_lazy("Score"), "bbox": gettext_lazy("Face box"),
    "unassessed": gettext_lazy("Not assessed"),
}


def moment_text(value: datetime | None) -> str:
    """A time as every page shows it: in the site's zone, to the second."""
    return timezone.localtime(value).strftime(TIME_FORMAT) if value else ""


@register.filter
def moment(value: datetime | None) -> SafeString | str:
    """<time> in the site's zone; its datetime attribute is the instant in UTC."""
    if not value:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.astimezone(UTC).isoformat(timespec="seconds"),
                       moment_text(value))


@register.simple_tag
def site_zone() -> str:
    """The site's zone and its offset now, e.g. "Asia/Shanghai (UTC+08:00)"."""
    now = timezone.localtime()
    offset = now.strftime("%z")
    return f"{timezone.get_current_timezone_name()} (UTC{offset[:3]}:{offset[3:]})"


@register.filter
def device_type_label(value) -> str:
    """A device type in words (an unknown number stays a number)."""
    if value in (None, ""):
        return ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return _(DEVICE_TYPES[number]) if number in DEVICE_TYPES else str(number)


@register.filter
def person_type_badge(value) -> SafeString:
    """A person type as its badge: the contract's label in the page's language and its colour
    (aibox_contract.people; live rows get the same from `person_types_json`)."""
    kind = person_type(value)
    label = _(kind.label) if kind.value in PERSON_TYPES else kind.label
    return format_html('<span class="badge {}">{}</span>', kind.badge, label)


@register.simple_tag
def person_types_json() -> SafeString:
    """The person types as live.js reads them: {type: [label in the page's language, badge classes]},
    in a <script type="application/json"> (data, not code: the CSP allows it)."""
    return json_script({value: [_(kind.label), kind.badge] for value, kind in PERSON_TYPES.items()},
                       "person-types")


def _scalar(key: str, value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "sex" and value in (0, 1):
        return _("male") if value == 0 else _("female")
    if isinstance(value, float):
        return floatformat(value, -2)  # rounded, in the page's language; 255.0 reads 255
    if value is None:
        return _("not assessed")
    return str(value)


@register.filter
def field_name(key: str) -> str:
    """A quality figure's name in words (face_size: Face size)."""
    return str(FIELD_NAMES.get(key, key))


@register.filter
def readable(value, key: str = ""):
    """A JSON value for people: an object as a table (known names in words), a list of plain
    values joined, numbers rounded, booleans as yes/no."""
    if isinstance(value, dict):
        if not value:
            return "—"
        rows = format_html_join("", "<tr><th scope=\"row\" title=\"{}\">{}</th><td>{}</td></tr>",
                                ((k, FIELD_NAMES.get(k, k), readable(v, k)) for k, v in value.items()))
        return format_html('<table class="table table-sm table-borderless readable mb-0"><tbody>{}</tbody></table>',
                           rows)
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return ", ".join(str(FIELD_NAMES.get(item, item)) if isinstance(item, str) else _scalar(key, item)
                             for item in value) or "—"
        return format_html_join("", "<div>{}</div>", ((readable(item, key),) for item in value))
    return _scalar(key, value)
