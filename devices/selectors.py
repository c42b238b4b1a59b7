"""Reads about boxes' places: the areas tree (a few levels, a few hundred areas at most, so
the whole tree is read in one query and walked in Python; no tree library needed)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from accounts.scope import Scope

from .models import Area, Box


@dataclass(frozen=True)
class TreeRow:
    area: Area
    depth: int
    path: str  # "Campus / Building A / Floor 2"
    site: Area  # the root above it (itself for a site)


def area_tree() -> list[TreeRow]:
    """Every area, each followed by those inside it (depth first, by name)."""
    children: dict[int | None, list[Area]] = defaultdict(list)
    for area in Area.objects.all():
        children[area.parent_id].append(area)
    rows: list[TreeRow] = []

    def visit(parent_id: int | None, depth: int, prefix: str, site: Area | None) -> None:
        for area in children[parent_id]:
            path = f"{prefix} / {area.name}" if prefix else area.name
            rows.append(TreeRow(area, depth, path, site or area))
            visit(area.pk, depth + 1, path, site or area)

    visit(None, 0, "", None)
    return rows


def tree_by_id() -> dict[int, TreeRow]:
    """`area_tree` keyed by area id: each area's path and site in one query (for lists and exports)."""
    return {row.area.pk: row for row in area_tree()}


def area_path(area_id: int | None) -> str:
    """"Campus / Building A / Floor 2" for an area; "" for none."""
    row = tree_by_id().get(area_id) if area_id is not None else None
    return row.path if row else ""


def within(area_ids: Iterable[int]) -> set[int]:
    """The given areas and every area below them."""
    found = set(area_ids)
    frontier = set(found)
    while frontier:
        frontier = set(Area.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def ancestry(area_id: int | None) -> list[int]:
    """The area and those above it, up to its site (nothing for no area)."""
    parents = dict(Area.objects.values_list("pk", "parent_id"))
    chain: list[int] = []
    while area_id is not None and area_id not in chain:
        chain.append(area_id)
        area_id = parents.get(area_id)
    return chain


def boxes_within(area_ids: Iterable[int]) -> QuerySet[Box]:
    return Box.objects.filter(area_id__in=within(area_ids))


# What an operator may see (accounts.scope): every read of boxes and areas for a page, the API,
# an export or the live feed starts from these. Everything for administrators and viewers; a
# site manager's sites and the areas below them, and only the boxes standing there (a box in
# no area belongs to no site manager).

def scope_area_ids(scope: Scope) -> set[int] | None:
    """The areas `scope` reaches; None for every area (and the boxes in none)."""
    return None if scope.everything else within(scope.site_ids)


def visible_areas(scope: Scope) -> QuerySet[Area]:
    areas = scope_area_ids(scope)
    return Area.objects.all() if areas is None else Area.objects.filter(pk__in=areas)


def visible_boxes(scope: Scope) -> QuerySet[Box]:
    areas = scope_area_ids(scope)
    return Box.objects.all() if areas is None else Box.objects.filter(area_id__in=areas)


def editable_areas(scope: Scope) -> QuerySet[Area]:
    """Areas the operator may rename, move or delete: every one for an administrator, those
    below their sites for a site manager (a site itself is the administrators')."""
    if not scope.can_write:
        return Area.objects.none()
    areas = visible_areas(scope)
    return areas if scope.everything else areas.exclude(parent__isnull=True)


def visible_tree(scope: Scope) -> list[TreeRow]:
    """`area_tree` narrowed to the operator's sites."""
    return [row for row in area_tree() if scope.sees_site(row.site.pk)]


def site_of(area_id: int | None) -> int | None:
    """The site (root area) an area is in; None for no area."""
    chain = ancestry(area_id)
    return chain[-1] if chain else None


def sites_of_boxes(box_ids: Iterable[int]) -> dict[int, int | None]:
    """Each box's site (None: in no area), read in two queries."""
    parents = dict(Area.objects.values_list("pk", "parent_id"))

    def root(area_id: int | None) -> int | None:
        seen = set()
        while area_id is not None and parents.get(area_id) is not None and area_id not in seen:
            seen.add(area_id)
            area_id = parents[area_id]
        return area_id

    return {pk: root(area_id) for pk, area_id in Box.objects.filter(pk__in=list(box_ids)).values_list("pk", "area_id")}


@dataclass
class SiteGroup:
    """The boxes of one site on a page of the box list, and how many of all its boxes (those the
    search matched, on every page) are online; `site` None: boxes in no area."""

    site: Area | None
    boxes: list[Box] = field(default_factory=list)
    online: int = 0
    offline: int = 0


def group_by_site(page: Iterable[Box], matching: QuerySet[Box]) -> list[SiteGroup]:
    """`page`'s boxes by site (sites by name, boxes in no area last), each box given its
    `area_path`; the counts are over `matching`."""
    rows = tree_by_id()
    groups: dict[int | None, SiteGroup] = {}

    def group_of(area_id: int | None) -> SiteGroup:
        site = rows[area_id].site if area_id in rows else None
        return groups.setdefault(site.pk if site else None, SiteGroup(site))

    for area_id, enabled, online in matching.values_list("area_id", "enabled", "online"):
        group = group_of(area_id)
        if enabled and online:
            group.online += 1
        else:
            group.offline += 1
    for box in page:
        box.area_path = rows[box.area_id].path if box.area_id in rows else ""
        group_of(box.area_id).boxes.append(box)
    shown = [group for group in groups.values() if group.boxes]
    return sorted(shown, key=lambda group: (group.site is None, group.site.name if group.site else ""))
