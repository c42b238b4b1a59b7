"""What an operator may see and change: the one value every page, API view, export and the live
feed narrows its reads by (each app's selectors turn it into a queryset filter)."""
from __future__ import annotations

from dataclasses import dataclass

from .models import Role


@dataclass(frozen=True)
class Scope:
    """`site_ids` None: every site, and the boxes in no area; otherwise only those sites (and
    the areas below them: devices.selectors.within expands them)."""

    role: str
    site_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.site_ids is None

    @property
    def can_write(self) -> bool:
        return self.role != Role.VIEWER

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    def sees_site(self, site_id: int | None) -> bool:
        """Whether something of `site_id` (None: a box in no area) is visible."""
        return self.everything or site_id in self.site_ids


ADMINISTRATOR = Scope(Role.ADMINISTRATOR, None)
# What a request without an operator reaches (schema generation asks views for querysets so).
NOTHING = Scope(Role.VIEWER, frozenset())
