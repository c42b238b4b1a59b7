"""Reads about boxes' places: the areas tree (a few levels, a few hundred areas at most, so
the whole tree is read in one query and walked in Python; no tree library needed)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Area, Box


@dataclass(frozen=True)
class TreeRow:
    area: Area
    depth: int
    path: str  # "Campus / Building A / Floor 2"


def area_tree() -> list[TreeRow]:
    """Every area, each followed by those inside it (depth first, by name)."""
    children: dict[int | None, list[Area]] = defaultdict(list)
    for area in Area.objects.all():
        children[area.parent_id].append(area)
    rows: list[TreeRow] = []

    def visit(parent_id: int | None, depth: int, prefix: str) -> None:
        for area in children[parent_id]:
            path = f"{prefix} / {area.name}" if prefix else area.name
            rows.append(TreeRow(area, depth, path))
            visit(area.pk, depth + 1, path)

    visit(None, 0, "")
    return rows


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


def site_of(area_id: int | None, parents: dict[int, int | None]) -> int | None:
    """The root above `area_id`, given every area's parent (one read for many boxes)."""
    seen = set()
    while area_id is not None and area_id not in seen:
        seen.add(area_id)
        if parents.get(area_id) is None:
            return area_id
        area_id = parents[area_id]
    return None
