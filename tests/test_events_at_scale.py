"""Events at scale (issue 17 item 5), what can be asserted without millions of rows: keyset pages
walk every event exactly once, timestamps tied or not, both ways, in the console and the API;
counts are capped (or PostgreSQL's estimate for the whole table); retention deletes in batches.
The figures themselves are bench/events_at_scale.py's."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from events import pagination
from events.models import Event
from events.services import purge_events_before

TIES = 7  # events per timestamp


def make_events(box, count: int, start=None, **fields) -> list[int]:
    """`count` events of `box`, TIES of them at each moment; their ids."""
    start = start or timezone.now() - timedelta(hours=1)
    made = Event.objects.bulk_create(
        Event(box=box, dedup_key=f"k{box.pk}-{n}-{fields.get('identity_id', '')}", score=0.9,
              occurred_at=start + timedelta(seconds=n // TIES), timestamp_ms=n, **fields)
        for n in range(count))
    return [event.pk for event in made]


def newest_first(ids) -> list[int]:
    return list(Event.objects.filter(pk__in=ids).order_by("-occurred_at", "-pk").values_list("pk", flat=True))


def test_api_pages_walk_every_event_once_with_ties_both_ways(admin_client, make_box):
    box = make_box("keyset")
    expected = newest_first(make_events(box, 40))
    seen, url, pages = [], "/api/events/?limit=6", []
    while url:
        page = admin_client.get(url).json()
        assert len(page["results"]) <= 6
        seen += [row["id"] for row in page["results"]]
        pages.append(page)
        url = page["next"]
    assert seen == expected and len(pages) == 7  # every event once, in order: 6 * 6 + 4
    assert pages[0]["previous"] is None and pages[0]["count"] == 40 and pages[0]["count_kind"] in ("exact", "about")
    back, url = [], pages[-1]["previous"]
    while url:
        page = admin_client.get(url).json()
        back = [row["id"] for row in page["results"]] + back
        url = page["previous"]
    assert back == expected[:36]  # every page above the last, once, newest first
    assert admin_client.get("/api/events/", {"after": "yesterday"}).status_code == 400


def test_console_pages_walk_every_event_once_and_keep_the_filters(admin_client, make_box):
    box, other = make_box("keyset page"), make_box("other box")
    expected = newest_first(make_events(box, 130))
    make_events(other, 20)
    seen, url = [], f"/events/?box={box.pk}"
    while url:
        response = admin_client.get(url)
        assert response.status_code == 200
        rows = [event.pk for event in response.context["object_list"]]
        assert len(rows) <= pagination.PAGE_SIZE
        seen += rows
        older = re.search(r'id="older-page" href="([^"]+)"', response.content.decode())
        url = "/events/" + older.group(1).replace("&amp;", "&") if older else None
        if url:
            assert f"box={box.pk}" in url
    assert seen == expected
    newer = re.search(r'id="newer-page" href="([^"]+)"', response.content.decode()).group(1).replace("&amp;", "&")
    above = admin_client.get("/events/" + newer)
    assert [event.pk for event in above.context["object_list"]] == expected[50:100]
    assert not above.context["live"] and admin_client.get("/events/").context["live"]
    # A cursor that does not parse shows the newest page.
    assert [e.pk for e in admin_client.get("/events/", {"after": "x.1"}).context["object_list"]][:1] == [
        newest_first(Event.objects.values_list("pk", flat=True))[0]]


def event_total(admin_client, **params) -> str:
    html = admin_client.get("/events/", params).content.decode()
    return re.search(r'id="event-total"[^>]*>([^<]*)<', html).group(1)


def test_the_console_shows_capped_and_estimated_counts(admin_client, make_box, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    box = make_box("counted")
    make_events(box, 12)
    make_events(box, 2, identity_id="alice")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("analyze events_event")
        # Unfiltered: PostgreSQL's estimate of the whole table, no count.
        assert event_total(admin_client) == "about 14 events"
    else:
        assert event_total(admin_client) == "10+ events"
    assert event_total(admin_client, box=box.pk) == "10+ events"  # a filter is counted, up to the cap
    assert event_total(admin_client, identity_id="alice") == "2 events"
    assert event_total(admin_client, identity_id="nobody") == "0 events"


@pytest.mark.parametrize("batch", [3, 1000])
def test_retention_deletes_in_batches_old_gone_new_kept(make_box, batch):
    box = make_box("retention batches")
    cutoff = timezone.now() - timedelta(days=30)
    old = make_events(box, 20, start=cutoff - timedelta(days=2), identity_id="old")
    new = make_events(box, 5, start=cutoff, identity_id="new")
    batches = []
    result = purge_events_before(cutoff, batch=batch, on_batch=lambda deleted, seconds: batches.append(deleted))
    assert result["events"] == 20 and sum(batches) == 20
    assert max(batches) <= batch and len(batches) == -(-20 // batch)
    assert not Event.objects.filter(pk__in=old).exists()
    assert sorted(Event.objects.values_list("pk", flat=True)) == sorted(new)


def test_the_csv_export_reads_every_event_once_oldest_first_in_chunks(admin_client, make_box):
    box = make_box("exported")
    expected = newest_first(make_events(box, 30))[::-1]
    assert [event.pk for event in pagination.oldest_first(Event.objects.all(), chunk=4)] == expected
    assert [event.pk for event in pagination.oldest_first(Event.objects.all(), chunk=8, first=1)] == expected
    lines = b"".join(admin_client.get("/events/export.csv").streaming_content).decode().splitlines()
    assert len(lines) == 31  # the header and every event once


def test_a_site_managers_pages_and_count_keep_to_their_boxes(client, world):
    """The scope survives keyset pages: a site manager walks only their boxes' events, and their
    total is counted (their events are not the whole table), never the table's estimate."""
    make_events(world.box_a, 9)
    make_events(world.box_b, 9)
    mine = newest_first(Event.objects.filter(box=world.box_a).values_list("pk", flat=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("analyze events_event")
    client.force_login(world.manager)
    seen, url = [], "/api/events/?limit=4"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        assert (page["count"], page["count_kind"]) == (len(mine), "exact")
        url = page["next"]
    assert seen == mine
    assert re.search(r'id="event-total"[^>]*>([^<]*)<', client.get("/events/").content.decode()).group(1) == (
        f"{len(mine)} events")


def test_the_search_finds_by_each_of_its_four_fields_whatever_the_case(admin_client, make_box):
    box = make_box("searched")
    fields = {"identity_name": "Zhang WEIMIN", "identity_id": "EMP-77341", "ep_id": "SNQX81__10.9.8.7",
              "device_ip": "172.31.200.9"}
    made = {name: Event.objects.create(box=box, dedup_key=name, score=0.9, occurred_at=timezone.now(),
                                       timestamp_ms=1, **{name: value}).pk for name, value in fields.items()}
    make_events(box, 3, identity_name="Someone Else", identity_id="emp-1", ep_id="OTHER__10.0.0.1",
                device_ip="10.0.0.1")

    def found(text: str) -> list[int]:
        return [row["id"] for row in admin_client.get("/api/events/", {"q": text}).json()["results"]]

    # A piece of each field, in another case than stored.
    pieces = {"identity_name": "g weim", "identity_id": "p-773", "ep_id": "snqx81__", "device_ip": "31.200"}
    for name, text in pieces.items():
        assert found(text) == [made[name]], name
    assert found("NOWHERE-AT-ALL") == []


def plan(queryset) -> str:
    """PostgreSQL's plan of a queryset, with only bitmap scans allowed besides a sequential scan
    made to cost too much: an index that serves the query shows in it."""
    with connection.cursor() as cursor:
        cursor.execute("select set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)")
    return queryset.explain()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PostgreSQL's")
def test_on_postgresql_the_search_reads_a_trigram_index_of_each_field(make_box):
    from events.filters import EventFilterSet

    make_events(make_box("planned"), 20, identity_name="Li Na")
    searched = plan(EventFilterSet({"q": "li n"}, queryset=Event.objects.all()).qs)
    for index in ("event_name_trgm", "event_identity_trgm", "event_ep_id_trgm", "event_device_ip_trgm"):
        assert f"Bitmap Index Scan on {index}" in searched, searched
    assert "Seq Scan" not in searched


def test_the_box_foreign_key_has_no_index_of_its_own(make_box):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Event._meta.db_table)
    on_box = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert ["box_id"] not in on_box  # (box, time) and (box, dedup_key) serve it
    assert ["box_id", "occurred_at"] in on_box and ["box_id", "dedup_key"] in on_box


def event_indexes() -> set[str]:
    with connection.cursor() as cursor:
        return {name for name, c in connection.introspection.get_constraints(cursor, "events_event").items()
                if c["index"] and c["columns"] != ["id"]}


@pytest.mark.django_db(transaction=True)
def test_the_search_migration_goes_back_and_forth_on_either_engine():
    """Back: the box's own index again, no trigram index; forward: the reverse, the trigram
    indexes on PostgreSQL only (SQLite has no pg_trgm: the migration must not fail there)."""
    from django.db.migrations.executor import MigrationExecutor

    trigram = {"event_name_trgm", "event_identity_trgm", "event_ep_id_trgm", "event_device_ip_trgm"}
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate([("events", "0005_time_index_covers_counts")])
        before = event_indexes()
        MigrationExecutor(connection).migrate(latest)
        after = event_indexes()
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert not before & trigram and len(before - after) == 1  # the box's own index, named by a hash
    assert after - before == (trigram if connection.vendor == "postgresql" else set())
