"""Keyset pagination of events, newest first, on (occurred_at, id): a page is found from where its
neighbour ended (`after` / `before` a cursor), so the 200 000th page costs what the first does (an
OFFSET reads and throws away every row before it), and events arriving meanwhile shift nothing.
Counts stop at COUNT_CAP rows, or come from PostgreSQL's statistics for the whole table: an
exact count of millions of rows reads them all.

One mechanism for the console's events page and /api/events/ (EventKeysetPagination)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .models import Event

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
COUNT_CAP = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: an event's time and id. In URLs "<microseconds since 1970>.<id>"."""

    occurred_at: datetime
    pk: int

    def __str__(self) -> str:
        return f"{(self.occurred_at - EPOCH) // timedelta(microseconds=1)}.{self.pk}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor written by str(); ValueError for anything else."""
        micros, _, pk = text.partition(".")
        if not (micros.lstrip("-").isdigit() and pk.isdigit()) or len(text) > 40:
            raise ValueError(text)
        return cls(EPOCH + timedelta(microseconds=int(micros)), int(pk))


def cursor_for(event: Event) -> str:
    return str(Cursor(event.occurred_at, event.pk))


@dataclass
class KeysetPage:
    """A page of events, newest first, and the cursors of its neighbours (None: no such page)."""

    events: list[Event]
    newer: str | None
    older: str | None


def _older_than(cursor: Cursor) -> Q:
    # The redundant bound lets the index on occurred_at start at the cursor instead of the top.
    return Q(occurred_at__lte=cursor.occurred_at) & (
        Q(occurred_at__lt=cursor.occurred_at) | Q(occurred_at=cursor.occurred_at, pk__lt=cursor.pk))


def _newer_than(cursor: Cursor) -> Q:
    return Q(occurred_at__gte=cursor.occurred_at) & (
        Q(occurred_at__gt=cursor.occurred_at) | Q(occurred_at=cursor.occurred_at, pk__gt=cursor.pk))


def keyset_page(events: QuerySet[Event], after: Cursor | None = None, before: Cursor | None = None,
                size: int = PAGE_SIZE) -> KeysetPage:
    """The `size` events older than `after`, or newer than `before` (the page above), or the newest."""
    if before is not None:
        rows = list(events.filter(_newer_than(before)).order_by("occurred_at", "pk")[:size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(rows, newer=cursor_for(rows[0]) if more else None,
                          older=cursor_for(rows[-1]) if rows else str(before))
    if after is not None:
        events = events.filter(_older_than(after))
    rows = list(events.order_by("-occurred_at", "-pk")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    newer = None if after is None else (cursor_for(rows[0]) if rows else str(after))
    return KeysetPage(rows, newer=newer, older=cursor_for(rows[-1]) if more else None)


def oldest_first(events: QuerySet[Event], chunk: int = 2000, first: int = 100) -> Iterator[Event]:
    """Every one of `events`, oldest first, read by keyset in chunks growing from `first` to
    `chunk` (the first rows come at once): each chunk is a short query of its own. (A server-side
    cursor outside a transaction is declared WITH HOLD, and PostgreSQL computes the whole result
    before the first row: minutes for millions.)"""
    after: Cursor | None = None
    size = min(first, chunk)
    while True:
        rows = list((events if after is None else events.filter(_newer_than(after))).order_by("occurred_at", "pk")
                    [:size])
        yield from rows
        if len(rows) < size:
            return
        after = Cursor(rows[-1].occurred_at, rows[-1].pk)
        size = min(size * 2, chunk)


@dataclass(frozen=True)
class Total:
    """How many events: `number` exactly, at least `number` (capped), or about `number` (estimated)."""

    number: int
    kind: str  # "exact", "at_least" or "about"

    def __str__(self) -> str:
        figure = f"{self.number:,}".replace(",", "\u2009")  # a thin space groups digits in either language
        if self.kind == "at_least":
            return _("%(number)s+ events") % {"number": figure}
        if self.kind == "about":
            return _("about %(number)s events") % {"number": figure}
        return ngettext("%(number)s event", "%(number)s events", self.number) % {"number": figure}


def _estimated_rows() -> int | None:
    """PostgreSQL's estimate of the event table's rows (kept by autovacuum), None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("select reltuples::bigint from pg_class where oid = %s::regclass", [Event._meta.db_table])
        row = cursor.fetchone()
    return row[0] if row and row[0] > 0 else None


def event_total(events: QuerySet[Event], whole_table: bool = False) -> Total:
    """How many `events` there are without counting more than COUNT_CAP + 1 rows. `whole_table`
    says `events` is every event (no filter, no scope): PostgreSQL's estimate answers then,
    once it is beyond the cap."""
    if whole_table:
        estimate = _estimated_rows()
        if estimate is not None and estimate > COUNT_CAP:
            return Total(estimate, "about")
    counted = events.order_by().values("pk")[:COUNT_CAP + 1].count()
    return Total(COUNT_CAP, "at_least") if counted > COUNT_CAP else Total(counted, "exact")


def parse_cursors(after: str | None, before: str | None) -> tuple[Cursor | None, Cursor | None]:
    """The `after` and `before` query parameters; ValueError names the one that does not parse."""
    found = []
    for name, text in (("after", after), ("before", before)):
        try:
            found.append(Cursor.parse(text) if text else None)
        except ValueError:
            raise ValueError(name) from None
    return found[0], found[1]


class EventKeysetPagination(BasePagination):
    """/api/events/ by keyset: `after` (older than) or `before` (newer than) the cursor of an event,
    as the `next` and `previous` links give them; `limit` events (50, at most 1000); `count` is
    exact up to 10 000, and `count_kind` says whether it is "exact", "at_least" (more than that)
    or "about" (the whole table's estimate)."""

    paging = ("after", "before", "limit")

    def paginate_queryset(self, queryset, request: Request, view=None):
        try:
            after, before = parse_cursors(request.query_params.get("after"), request.query_params.get("before"))
        except ValueError as exc:
            raise ValidationError({str(exc): ["Not a cursor: use the next or previous link."]}) from None
        limit = request.query_params.get("limit", "")
        size = min(int(limit), MAX_PAGE_SIZE) if limit.isdigit() and int(limit) > 0 else PAGE_SIZE
        self.request = request
        self.page = keyset_page(queryset, after, before, size)
        self.total = event_total(queryset, whole_table=getattr(view, "whole_table", False))
        return self.page.events

    def _link(self, name: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(remove_query_param(url, "after"), "before")
        return replace_query_param(url, name, cursor)

    def get_paginated_response(self, data) -> Response:
        return Response({"count": self.total.number, "count_kind": self.total.kind,
                         "next": self._link("after", self.page.older),
                         "previous": self._link("before", self.page.newer), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {"type": "object", "required": ["count", "count_kind", "results"], "properties": {
            "count": {"type": "integer", "description": "Exact up to 10 000; see count_kind"},
            "count_kind": {"type": "string", "enum": ["exact", "at_least", "about"]},
            "next": link, "previous": link, "results": schema}}

    def get_schema_operation_parameters(self, view) -> list[dict]:
        def parameter(name: str, kind: str, text: str) -> dict:
            return {"name": name, "required": False, "in": "query", "description": text, "schema": {"type": kind}}
        return [parameter("after", "string", "Cursor: the events older than it (from the next link)"),
                parameter("before", "string", "Cursor: the events newer than it (from the previous link)"),
                parameter("limit", "integer", "Events per page (50 when absent, at most 1000)")]
