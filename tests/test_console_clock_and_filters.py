"""Issue 12 items 2 and 3: one clock (the site's TIME_ZONE, said on the page, the same format
everywhere, the CSV with its offset, the chart's hours in that zone) and filters that filter
(Until includes its day, bad input is a form error or a 400, live rows follow the filters)."""
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from devices.models import SubDevice
from events.models import Event
from events.services import intake_events

from .helpers import event

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def console(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    return SHANGHAI


@pytest.fixture
def day_edges(make_box, shanghai):
    """Four events around today (in Shanghai): the last moment of yesterday, the first and
    the last of today, the first of tomorrow."""
    box = make_box("edges")
    today = timezone.localdate()
    start = datetime(today.year, today.month, today.day, tzinfo=SHANGHAI)
    moments = {"yesterday-last": start - timedelta(milliseconds=1), "today-first": start,
               "today-last": start + timedelta(days=1, milliseconds=-1), "tomorrow-first": start + timedelta(days=1)}
    intake_events(box, [event(name, ms(moment)) for name, moment in moments.items()])
    return today


def shown(response) -> list[str]:
    html = response.content.decode()
    ids = re.findall(r'data-event-id="(\d+)"', html)
    return sorted(Event.objects.get(pk=pk).identity_id for pk in ids)


def test_from_and_until_the_same_day_show_that_whole_day(console, day_edges):
    today = day_edges.isoformat()
    page = console.get("/events/", {"since": today, "until": today})
    assert page.status_code == 200
    assert shown(page) == ["today-first", "today-last"]
    api = console.get("/api/events/", {"since": today, "until": today}).json()
    assert sorted(row["identity_id"] for row in api["results"]) == ["today-first", "today-last"]
    export = console.get("/events/export.csv", {"since": today, "until": today})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [row["identity_id"] for row in rows] == ["today-first", "today-last"]
    # Until alone includes its day; From alone starts with its day.
    assert shown(console.get("/events/", {"until": today})) == ["today-first", "today-last", "yesterday-last"]
    assert shown(console.get("/events/", {"since": today})) == ["today-first", "today-last", "tomorrow-first"]


def test_moments_are_inclusive_and_read_in_the_site_zone_without_an_offset(console, day_edges):
    today = day_edges.isoformat()
    assert shown(console.get("/events/", {"since": f"{today}T00:00:00", "until": f"{today}T00:00:00"})) \
        == ["today-first"]
    # The same instant written in UTC, with its offset.
    start_utc = datetime.fromisoformat(f"{today}T00:00:00+08:00").astimezone(UTC).isoformat()
    assert console.get("/api/events/", {"since": start_utc, "until": start_utc}).json()["count"] == 1


@pytest.mark.parametrize("params, field", [
    ({"since": "2026-13-45"}, "since"),
    ({"until": "2026-02-30"}, "until"),
    ({"since": "yesterday"}, "since"),
    ({"since": "2026-13-45T10:00:00"}, "since"),
    ({"until": "9999-12-31"}, "until"),
    ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
    ({"box": "north"}, "box"),
    ({"type": "-1"}, "type"),
])
def test_bad_filters_are_form_errors_and_400s_never_500s(console, make_box, params, field):
    intake_events(make_box("any"), [event("someone", ms(timezone.now()))])
    page = console.get("/events/", params)
    assert page.status_code == 400
    assert page.context["form"].errors[field]
    html = page.content.decode()
    assert 'is-invalid' in html and "Correct the filters above to see events." in html
    assert "data-event-id=" not in html and 'id="event-table" data-live-rows="false"' in html
    export = console.get("/events/export.csv", params)
    assert export.status_code == 400 and export["Content-Type"].startswith("text/html")
    assert export.context["form"].errors[field]
    api = console.get("/api/events/", params)
    assert api.status_code == 400 and list(api.json()) == [field]


def test_the_error_names_the_problem(console, db):
    page = console.get("/events/", {"since": "2026-13-45"}).content.decode()
    assert "2026-13-45 is not a day of the calendar." in page
    assert console.get("/api/events/", {"since": "soon"}).json() == {"since": [
        "Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM:SS, optionally with an offset)."]}
    assert console.get("/api/events/", {"since": "2026-03-02", "until": "2026-03-01"}).json() == {
        "until": ["Until is before From."]}


def test_a_filtered_first_page_stays_live_with_the_filters_resolved_for_the_script(console, day_edges, make_box):
    today = day_edges.isoformat()
    page = console.get("/events/", {"since": today, "until": today, "type": "1", "q": "Today"})
    assert 'id="event-table" data-live-rows="true"' in page.content.decode()
    start = datetime.fromisoformat(f"{today}T00:00:00+08:00")
    assert page.context["live_filter"] == {
        "q": "Today", "box": None, "boxes": None, "type": 1, "ep_id": "", "identity_id": "",
        "since": start.astimezone(UTC).isoformat(), "until": (start + timedelta(days=1)).astimezone(UTC).isoformat(),
        "until_inclusive": False}
    assert json.loads(re.search(r'<script id="live-filter" type="application/json">(.*?)</script>',
                                page.content.decode()).group(1)) == page.context["live_filter"]
    # A later page is a fixed slice of history: no live rows there.
    intake_events(make_box("many"), [event(f"p{i}", ms(timezone.now()) - i) for i in range(51)])
    older = re.search(r'id="older-page" href="([^"]+)"', console.get("/events/").content.decode()).group(1)
    assert 'data-live-rows="false"' in console.get("/events/" + older.replace("&amp;", "&")).content.decode()


def test_every_time_is_shown_in_the_site_zone_in_one_format_and_named(console, make_box, shanghai):
    box = make_box("clock")
    moment = datetime(2026, 3, 14, 12, 9, 6, 250_000, tzinfo=UTC)  # 20:09:06 in Shanghai
    intake_events(box, [event("obama", ms(moment))])
    SubDevice.objects.create(box=box, ep_id="X__192.168.1.25", ip="192.168.1.25", name="North door",
                             location="Lobby", status="online", device_type=4)
    html = console.get("/events/").content.decode()
    assert '<time datetime="2026-03-14T12:09:06+00:00">2026-03-14 20:09:06</time>' in html
    assert 'data-time-zone="Asia/Shanghai"' in html
    assert "Times are shown in Asia/Shanghai (UTC+08:00)." in html
    pk = Event.objects.get().pk
    detail = console.get(f"/events/{pk}/").content.decode()
    assert detail.count('<time datetime="2026-03-14T12:09:06+00:00">2026-03-14 20:09:06</time>') >= 2
    export = console.get("/events/export.csv")
    [row] = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert row["occurred_at"] == "2026-03-14T20:09:06.250+08:00"
    assert row["received_at"].endswith("+08:00")
    assert (row["camera_name"], row["camera_location"], row["device_type_name"]) == ("North door", "Lobby",
                                                                                    "door access")
    Event.objects.update(received_at=moment)
    box.last_seen_at = box.last_login_at = moment
    box.save()
    box_page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert re.search(r'data-box-last-seen="\d+"><time datetime="2026-03-14T12:09:06\+00:00">2026-03-14 20:09:06'
                     r"</time>", box_page)


def test_the_chart_counts_hours_of_the_site_zone(console, make_box, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30: its hours are not UTC's
    box = make_box("chart")
    now = timezone.localtime()
    hour = now.replace(minute=0, second=0, microsecond=0)
    # One event in the current local hour, two in the one before (one of them 20 minutes
    # before the hour began: a UTC bucket would have put it elsewhere).
    intake_events(box, [event("a", ms(hour + (now - hour) / 2)), event("b", ms(hour - timedelta(minutes=20))),
                        event("c", ms(hour - timedelta(minutes=50)))])
    chart = console.get("/events/").context["chart"]
    assert chart["counts"][-2:] == [2, 1] and sum(chart["counts"]) == 3
    assert chart["labels"][-1] == hour.strftime("%H:00")
    assert chart["starts"][-1] == hour.astimezone(UTC).isoformat()
