"""Reads of events shared by the console, the REST API and the CSV export."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cloudplatform.params import as_int, as_text

from .models import Event


def _moment(value: str | None, end: bool = False) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            return None
        moment = datetime.combine(day, datetime.min.time()) + (timedelta(days=1) if end else timedelta())
    try:
        moment = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
        # In UTC: databases refuse some offsets a client may send (PostgreSQL: beyond ±15:59).
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def filter_events(events: QuerySet[Event] | None = None, *, search: str = "", box: str | None = None,
                  person_type: str | None = None, ep_id: str = "", identity_id: str = "",
                  since: str | None = None, until: str | None = None) -> QuerySet[Event]:
    """Filters as the console and the API take them (text in, unparseable values ignored)."""
    events = Event.objects.all() if events is None else events
    if search:
        events = events.filter(Q(identity_name__icontains=search) | Q(identity_id__icontains=search)
                               | Q(ep_id__icontains=search) | Q(device_ip__icontains=search))
    if (box_id := as_int(box)) is not None:
        events = events.filter(box_id=box_id)
    if (number := as_int(person_type)) is not None:
        events = events.filter(person_type=number)
    if ep_id:
        events = events.filter(ep_id=ep_id)
    if identity_id:
        events = events.filter(identity_id=identity_id)
    if start := _moment(since):
        events = events.filter(occurred_at__gte=start)
    if end := _moment(until, end=True):
        events = events.filter(occurred_at__lt=end)
    return events


def filter_events_by_params(params) -> QuerySet[Event]:
    return filter_events(search=as_text(params.get("q")), box=params.get("box"),
                         person_type=params.get("type"), ep_id=as_text(params.get("ep_id")),
                         identity_id=as_text(params.get("identity_id")), since=as_text(params.get("since")),
                         until=as_text(params.get("until")))


def hourly_counts(hours: int = 24) -> list[tuple[datetime, int]]:
    """Events per hour for the last `hours` hours, empty hours included, oldest first."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(hours=hours - 1)
    rows = (Event.objects.filter(occurred_at__gte=start).annotate(hour=TruncHour("occurred_at"))
            .values("hour").annotate(count=Count("id")))
    counts = {row["hour"]: row["count"] for row in rows}
    return [(start + timedelta(hours=i), counts.get(start + timedelta(hours=i), 0)) for i in range(hours)]


def counts_per_box(hours: int = 24) -> list[dict]:
    since = timezone.now() - timedelta(hours=hours)
    return list(Event.objects.filter(occurred_at__gte=since).values("box_id", "box__name")
                .annotate(count=Count("id"), strangers=Count("id", filter=Q(person_type=4)),
                          blacklist=Count("id", filter=Q(person_type=3))).order_by("-count"))
