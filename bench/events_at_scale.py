"""Events at scale: the console's event pages, the person page, the CSV export and retention
on PostgreSQL holding millions of events.

    .venv/bin/python bench/events_at_scale.py [--events 10000000] [--boxes 300] [--people 3000]
        [--database aibox_bigdata_bench] [--runs 5] [--refill] [--skip-retention]

Fills its own PostgreSQL database (created and migrated here; PG_URL names the server,
default postgres://postgres@127.0.0.1:5432) in SQL (INSERT ... SELECT from generate_series,
secondary indexes dropped during the fill and built after), spread over `--boxes` boxes in
a few sites, `--people` people and the last year; an existing fill of the same size is
reused (`--refill` starts again). Then it times the real console views through Django's test
client as an administrator, warm, the median of `--runs` runs each, and retention: a month
of events deleted in batches (total time and the longest single transaction). Retention
deletes what it measures: the next run refills that month first.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
YEAR_SECONDS = 365 * 24 * 3600
FILL_CHUNK = 1_000_000


def configure(database: str) -> None:
    os.environ.update({
        "DATABASE_URL": f"{SERVER}/{database}", "DJANGO_SETTINGS_MODULE": "cloudplatform.settings",
        "LOG_LEVEL": "WARNING", "BOX_VHOST": "aibox-bench-scale", "BOX_UPLOAD_VHOST": "aibox-bench-scale-upload",
    })
    os.environ.setdefault("VAR_DIR", str(REPO / "var" / "bench-scale"))
    sys.path.insert(0, str(REPO))


def create_database(database: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        if not admin.execute("select 1 from pg_database where datname = %s", [database]).fetchone():
            admin.execute(f'create database "{database}"')


def fill_fleet(boxes: int, people: int) -> None:
    """Sites, areas, boxes with four cameras each and people, through the ORM (small)."""
    from devices.models import Area, Box, SubDevice
    from users.models import Person

    if Box.objects.count() >= boxes:
        return
    sites = [Area.objects.create(name=f"site {n}") for n in range(5)]
    areas = [Area.objects.create(name=f"floor {n}", parent=site) for site in sites for n in range(4)]
    made = Box.objects.bulk_create(
        Box(name=f"box {n:04d}", dev_sno=f"BENCH{n:019d}", area=areas[n % len(areas)], broker_password="x")
        for n in range(boxes))
    SubDevice.objects.bulk_create(
        SubDevice(box=box, ep_id=f"{box.dev_sno}__192.168.1.{cam}", ip=f"192.168.1.{cam}", name=f"camera {cam}",
                  location=f"door {cam}", device_type=1) for box in made for cam in range(1, 5))
    Person.objects.bulk_create(Person(identity_id=f"p{n:06d}", name=f"Person {n}") for n in range(people))


EVENTS_SQL = """
insert into events_event (box_id, dedup_key, channel, occurred_at, timestamp_ms, identity_id, identity_name,
    group_name, score, person_type, device_type, device_ip, ep_id, spot_pic, reg_pic, grab_fiqa_info,
    box_fiqa_info, ext_data, picture_problems, received_at)
select box.id, md5(g.i::text), case when g.i %% 50 = 0 then 'realtime' else 'history' end, moment.at,
    (extract(epoch from moment.at) * 1000)::bigint,
    case when kind.t = 4 then '' else person.identity_id end, case when kind.t = 4 then '' else person.name end,
    case when kind.t = 4 then '' else 'staff' end, 0.5 + r.r3 / 2, kind.t, 1, '192.168.1.' || cam.n,
    box.dev_sno || '__192.168.1.' || cam.n, 'events/' || left(md5(g.i::text || 's'), 2) || '/' || md5(g.i::text || 's')
    || '.jpg', case when kind.t = 4 then '' else 'people/' || person.identity_id || '.jpg' end,
    '{"quality": 0.82, "blur": 0.1, "pose": [3, -2, 1]}', '{"quality": 0.8}', '{}', '{}', moment.at + interval '2 s'
from generate_series(%(lo)s, %(hi)s) as g(i)
cross join lateral (select random() as r1, random() as r2, random() as r3, g.i::bigint as anchor) as r
cross join lateral (select date_trunc('second', %(start)s::timestamptz
    + make_interval(secs => (r.anchor::float / %(n)s) * %(span)s + r.r1 * 60)) as at) as moment
cross join lateral (select case when r.r2 < 0.25 then 4 when r.r2 < 0.26 then 3 when r.r2 < 0.3 then 2
    else 1 end as t) as kind
cross join lateral (select 1 + (r.anchor * 7919) %% 4 as n) as cam
join boxes as box on box.k = 1 + ((r.anchor * 2654435761) %% %(boxes)s)
join people as person on person.k = 1 + ((r.anchor * 40503 + (r.r3 * 1000)::bigint) %% %(people)s)
"""
REFILL = " on conflict do nothing"


def secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(drop, create) statements of the event table's indexes and constraints but its primary key."""
    cursor.execute("select conname, pg_get_constraintdef(oid) from pg_constraint where conrelid = "
                   "'events_event'::regclass and contype = 'u'")
    statements = [(f'alter table events_event drop constraint "{name}"',
                   f'alter table events_event add constraint "{name}" {definition}')
                  for name, definition in cursor.fetchall()]
    cursor.execute("select i.indexname, i.indexdef from pg_indexes i where i.tablename = 'events_event' and "
                   "i.indexname not in (select conname from pg_constraint where conrelid = "
                   "'events_event'::regclass and contype in ('p', 'u'))")
    return statements + [(f'drop index "{name}"', definition) for name, definition in cursor.fetchall()]


def fill_events(total: int, boxes: int, people: int, upto: int | None = None) -> None:
    """Events 1..total (by the series number) evenly over the year before now, ids in time order;
    with `upto`, only those up to it that are missing (what retention deleted), indexes kept."""
    from django.db import connection
    from django.utils import timezone

    start = timezone.now() - timedelta(days=365)
    with connection.cursor() as cursor:
        cursor.execute("create temp table if not exists boxes as select row_number() over (order by id) as k, id, "
                       "dev_sno from devices_box")
        cursor.execute("create temp table if not exists people as select row_number() over (order by id) as k, "
                       "identity_id, name from users_person")
        indexes = secondary_indexes(cursor) if upto is None else []
        for drop, _create in indexes:
            cursor.execute(drop)
        last = total if upto is None else upto
        for chunk_start in range(1, last + 1, FILL_CHUNK):
            began = time.perf_counter()
            cursor.execute(EVENTS_SQL + ("" if upto is None else REFILL),
                           {"lo": chunk_start, "hi": min(last, chunk_start + FILL_CHUNK - 1),
                                        "n": total, "span": YEAR_SECONDS, "start": start, "boxes": boxes,
                                        "people": people})
            print(f"  events {min(last, chunk_start + FILL_CHUNK - 1):>11,} ({time.perf_counter() - began:.1f} s)",
                  flush=True)
        for _drop, create in indexes:
            began = time.perf_counter()
            cursor.execute(create)
            print(f"  {create[:90]} ({time.perf_counter() - began:.1f} s)", flush=True)
        cursor.execute("vacuum analyze events_event")


def timed(call, runs: int) -> float:
    """Median wall time of `call` in ms, after one warm-up run."""
    call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def page(client, url: str, params: dict | None = None):
    def get() -> None:
        response = client.get(url, params or {})
        assert response.status_code == 200, (url, params, response.status_code)
        if hasattr(response, "streaming_content"):
            response.close()
    return get


def first_csv_rows(client, params: dict, rows: int = 100):
    """Time to the first `rows` rows of the streamed export, then the stream is dropped."""
    def get() -> None:
        response = client.get("/events/export.csv", params)
        assert response.status_code == 200
        lines = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
            if lines > rows:
                break
        response.close()
    return get


def deep_query(events) -> dict:
    """Query parameters of the events page half a year down: a keyset cursor (or, before there was
    one, the page number half-way)."""
    try:
        from events.pagination import cursor_for
    except ImportError:
        return {"page": events.count() // 100}
    from django.utils import timezone

    event = events.filter(occurred_at__lte=timezone.now() - timedelta(days=182)).order_by("-occurred_at", "-id")[0]
    return {"after": cursor_for(event)}


def cases(client) -> list[tuple[str, object]]:
    """(what, a call to time) for each figure."""
    from django.utils import timezone

    from devices.models import Area, Box
    from events.models import Event
    from events.selectors import counts_per_box, hourly_counts
    from users.models import Person

    box = Box.objects.order_by("id")[7]
    person = Person.objects.order_by("id")[42]
    site = Area.objects.filter(parent=None).order_by("id").first()
    floor = Area.objects.exclude(parent=None).order_by("id").first()
    month_ago = timezone.localdate() - timedelta(days=30)
    day = {"since": month_ago.isoformat(), "until": month_ago.isoformat()}
    week = {"since": (month_ago - timedelta(days=6)).isoformat(), "until": month_ago.isoformat()}
    return [
        ("events page, first page", page(client, "/events/")),
        ("events page, half a year down (deep page)", page(client, "/events/", deep_query(Event.objects))),
        ("events page, one box", page(client, "/events/", {"box": box.pk})),
        ("events page, one person (identity_id)", page(client, "/events/", {"identity_id": person.identity_id})),
        ("events page, one site (5 areas)", page(client, "/events/", {"area": site.pk})),
        ("events page, one floor", page(client, "/events/", {"area": floor.pk})),
        ("events page, one week", page(client, "/events/", week)),
        ("events page, blacklist only (1 %)", page(client, "/events/", {"type": 3})),
        ("events page, one box + strangers + one week",
         page(client, "/events/", {"box": box.pk, "type": 4, **week})),
        # The free-text search (name, identity_id, ep_id, IP): a term in a few hundred events (one
        # person's identity_id), a term in a quarter of them (one camera's IP) and a term in none.
        (f"events page, search: rare term ({person.identity_id!r})",
         page(client, "/events/", {"q": person.identity_id})),
        ("events page, search: common term ('192.168.1.3')", page(client, "/events/", {"q": "192.168.1.3"})),
        ("events page, search: no match ('nobody here')", page(client, "/events/", {"q": "nobody here"})),
        ("API /api/events/, search: rare term", page(client, "/api/events/", {"q": person.identity_id})),
        ("per-box counts, last 24 h (selector)", lambda: counts_per_box(24)),
        ("chart, events per hour, last 24 h (selector)", lambda: hourly_counts(24)),
        ("person page", page(client, f"/people/{person.pk}/")),
        ("API /api/events/, first page", page(client, "/api/events/")),
        ("API /api/events/, one box", page(client, "/api/events/", {"box": box.pk})),
        ("CSV export, all events: first 100 rows", first_csv_rows(client, {})),
        ("CSV export, one day: first 100 rows", first_csv_rows(client, day)),
        ("CSV export, one box: first 100 rows", first_csv_rows(client, {"box": box.pk})),
    ]


def retention(total: int) -> list[tuple[str, float]]:
    """Delete the oldest month as the retention task does: total and longest batch (its transaction)."""
    from django.utils import timezone

    from events.services import purge_events_before

    batches: list[float] = []
    began = time.perf_counter()
    result = purge_events_before(timezone.now() - timedelta(days=335),
                                 on_batch=lambda deleted, seconds: batches.append(seconds * 1000))
    total_s = time.perf_counter() - began
    return [(f"retention: {result['events']:,} events (a month) deleted, total s", total_s),
            (f"retention: {len(batches)} batches, longest batch transaction ms", max(batches, default=0)),
            ("retention: median batch transaction ms", statistics.median(batches) if batches else 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--boxes", type=int, default=300)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--database", default="aibox_bigdata_bench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--refill", action="store_true", help="drop the database and fill it again")
    parser.add_argument("--skip-retention", action="store_true")
    args = parser.parse_args()
    configure(args.database)
    if args.refill:
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'drop database if exists "{args.database}" with (force)')
    create_database(args.database)
    import django

    django.setup()
    from django.conf import settings

    # Pages render without collectstatic (the manifest storage needs it): the bench times views, not assets.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from events.models import Event

    call_command("migrate", verbosity=0)
    fill_fleet(args.boxes, args.people)
    stored = Event.objects.count()
    began = time.perf_counter()
    if stored == 0:
        print(f"filling {args.events:,} events ...", flush=True)
        fill_events(args.events, args.boxes, args.people)
        print(f"filled in {time.perf_counter() - began:.0f} s", flush=True)
    elif stored < args.events:
        print(f"{stored:,} events stored: refilling the first month's missing ones", flush=True)
        fill_events(args.events, args.boxes, args.people, upto=args.events * 31 // 365 + 1000)
        from django.db import connection

        connection.cursor().execute("analyze events_event")
    setup_test_environment()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(admin)
    print(f"\n{Event.objects.count():,} events, {args.boxes} boxes, {args.people} people; median of {args.runs} "
          f"warm runs; load average {load_average()}\n| figure | ms (median) |\n| --- | --- |", flush=True)
    for name, call in cases(client):
        print(f"| {name} | {timed(call, args.runs):,.1f} |", flush=True)
    if not args.skip_retention:
        for name, value in retention(args.events):
            print(f"| {name} | {value:,.1f} |", flush=True)
    print(f"load average at the end {load_average()}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
