"""Reads of events shared by the console, the REST API and the CSV export."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncHour
from django.utils import timezone

from accounts.scope import Scope
from aibox_contract.people import BLACKLIST, STRANGER
from devices.models import Area, Box, SubDevice
from devices.selectors import boxes_within, scope_area_ids

from .models import Event, QuarantinedEvent, Relabel


def hourly_counts(hours: int = 24, events: QuerySet[Event] | None = None) -> list[tuple[datetime, int]]:
    """Events per hour of the site's time zone (a zone half an hour off UTC has its own hours)
    for the last `hours` hours, empty hours included, oldest first; hours are given in UTC."""
    current = timezone.localtime().replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    # Stepped in UTC: adding hours to a local time would step by the wall clock across DST.
    starts = [current - timedelta(hours=hours - 1 - i) for i in range(hours)]
    events = Event.objects.all() if events is None else events
    rows = (events.filter(occurred_at__gte=starts[0])
            .annotate(hour=TruncHour("occurred_at", tzinfo=timezone.get_current_timezone()))
            .values("hour").annotate(count=Count("box")))
    counts = {row["hour"].astimezone(UTC): row["count"] for row in rows}
    return [(start, counts.get(start, 0)) for start in starts]


# Counted by box_id, not id: box_id is in the time index (event_time_box_type), so PostgreSQL
# counts from the index alone.
def counts_per_box(hours: int = 24, events: QuerySet[Event] | None = None) -> list[dict]:
    since = timezone.now() - timedelta(hours=hours)
    events = Event.objects.all() if events is None else events
    return list(events.filter(occurred_at__gte=since).values("box_id", "box__name")
                .annotate(count=Count("box"), strangers=Count("box", filter=Q(person_type=STRANGER)),
                          blacklist=Count("box", filter=Q(person_type=BLACKLIST))).order_by("-count"))


def at_place(events: QuerySet[Event], box: int | None = None, area: Area | None = None) -> QuerySet[Event]:
    """`events` of one box and/or of the boxes in an area (and below it). The area is turned into
    box ids first, so the chart and per-box counts still read the time index alone (box_id is in it)."""
    if box is not None:
        events = events.filter(box_id=box)
    if area is not None:
        events = events.filter(box_id__in=list(boxes_within([area.pk]).values_list("pk", flat=True)))
    return events


def with_devices(events: QuerySet[Event]) -> QuerySet[Event]:
    """Each event with the name and location of its camera (the box's sub-device with its
    ep_id, or with its IP when a report left ep_id out), as camera_name and camera_location."""
    cameras = (SubDevice.objects.filter(box=OuterRef("box"))
               .filter(Q(ep_id=OuterRef("ep_id"), ep_id__gt="") | Q(ip=OuterRef("device_ip"), ip__gt=""))
               .order_by("ep_id"))
    return events.annotate(camera_name=Subquery(cameras.values("name")[:1]),
                           camera_location=Subquery(cameras.values("location")[:1]))


def with_cameras(box: Box, cameras: list[tuple], events: list[Event]) -> list[Event]:
    """`events` (all of `box`) given camera_name and camera_location by `with_devices`' rule, from
    the box's sub-devices as (ep_id, ip, name, location) in ep_id order: for a handful of events,
    compiling the annotated query cost more than the rest of their live message (bench/box_calls.py)."""
    for event in events:
        event.box = box
        found = next((camera for camera in cameras if (event.ep_id and camera[0] == event.ep_id)
                      or (event.device_ip and camera[1] == event.device_ip)), None)
        event.camera_name, event.camera_location = (found[2], found[3]) if found else (None, None)
    return events


def original_label(event: Event) -> Relabel | None:
    """What the box said before the event was first relabelled (from_* of its first Relabel), or
    None: it shows what its box said."""
    return event.relabels.order_by("id").first()


def visible_events(scope: Scope) -> QuerySet[Event]:
    """The events of the boxes the operator sees (accounts.scope)."""
    areas = scope_area_ids(scope)
    return Event.objects.all() if areas is None else Event.objects.filter(box__area_id__in=areas)


def every_event_unfiltered(scope: Scope, params: Mapping[str, str], paging: Iterable[str] = ()) -> bool:
    """Whether a list with these query parameters (those in `paging` aside) is every stored event:
    no filter, and an operator who sees every box. Its total is then the table's estimate."""
    return scope_area_ids(scope) is None and not any(value for name, value in params.items() if name not in paging)


def visible_quarantine(scope: Scope) -> QuerySet[QuarantinedEvent]:
    areas = scope_area_ids(scope)
    return QuarantinedEvent.objects.all() if areas is None else QuarantinedEvent.objects.filter(box__area_id__in=areas)
