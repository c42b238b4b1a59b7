"""Person types (upstream §7, part 2 §4.4.6): the number on the wire, the console's label and
its badge colour. The one definition: the people and event pages, the live console
(static/js/live.js reads it from base.html) and the platform's API all take it from here."""
from dataclasses import dataclass

from ._text import gettext_noop

STAFF, VISITOR, BLACKLIST, STRANGER, VIP = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class PersonType:
    value: int
    label: str  # English; the console translates it (locale/*/django.po)
    badge: str  # Bootstrap classes of the type's badge


PERSON_TYPES: dict[int, PersonType] = {
    STAFF: PersonType(STAFF, gettext_noop("staff"), "text-bg-secondary"),
    VISITOR: PersonType(VISITOR, gettext_noop("visitor"), "text-bg-info"),
    BLACKLIST: PersonType(BLACKLIST, gettext_noop("blacklist"), "text-bg-danger"),
    STRANGER: PersonType(STRANGER, gettext_noop("stranger"), "text-bg-warning"),
    VIP: PersonType(VIP, gettext_noop("VIP"), "text-bg-primary"),
}
# A number the contract does not define (a newer box's type): shown as the number, neutral.
UNKNOWN_BADGE = "text-bg-light border"


def person_type(value: object) -> PersonType:
    """The type a wire value names; an unknown one keeps its number as label."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return PersonType(-1, str(value), UNKNOWN_BADGE)
    return PERSON_TYPES.get(number) or PersonType(number, str(number), UNKNOWN_BADGE)
