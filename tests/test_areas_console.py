"""Sites and areas where administrators see them (issue 16 item 1): the events filter (page,
CSV, API) takes a site or an area with the areas below it; the box list groups boxes by site
with online/offline counts; areas through the API and the console."""
import csv
import io

import pytest
from django.utils import timezone

from devices.models import Area, Box
from events.services import intake_events
from users.models import PermissionGroup

from .helpers import event


@pytest.fixture
def site_events(site_areas, make_box):
    """One event on a floor of the campus, two at the harbour, one on a box in no area."""
    campus, _building, floor, harbour = site_areas
    on_floor, at_harbour, nowhere = make_box("floor gate", area=floor), make_box("quay", area=harbour), make_box("old")
    now = int(timezone.now().timestamp() * 1000)
    intake_events(on_floor, [event("ann", now - 30_000)])
    intake_events(at_harbour, [event("bob", now - 20_000), event("cy", now - 10_000)])
    intake_events(nowhere, [event("dee", now - 5_000)])
    return campus, harbour, floor


def test_events_filtered_by_site_show_only_its_boxes_events(admin_client, site_events):
    campus, harbour, floor = site_events
    for area, expected in ((campus, ["ann"]), (floor, ["ann"]), (harbour, ["cy", "bob"])):
        api = admin_client.get("/api/events/", {"area": area.pk}).json()
        assert [row["identity_id"] for row in api["results"]] == expected
        page = admin_client.get("/events/", {"area": area.pk})
        assert page.status_code == 200 and page.content.decode().count("data-event-id=") == len(expected)
        assert page.context["live_filter"]["boxes"] == sorted(
            Box.objects.filter(area__in=[area, *area.children.all(), *Area.objects.filter(parent__parent=area)])
            .values_list("pk", flat=True))
        response = admin_client.get("/events/export.csv", {"area": area.pk})
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert sorted(row["identity_id"] for row in rows) == sorted(expected)
    assert admin_client.get("/api/events/").json()["count"] == 4
    assert admin_client.get("/api/events/", {"area": 999999}).status_code == 400
    assert admin_client.get("/events/", {"area": "x"}).status_code == 400


def test_box_list_groups_boxes_by_site_with_online_counts(admin_client, site_areas, make_box):
    campus, building, floor, harbour = site_areas
    up = make_box("up", area=floor)
    make_box("down", area=building)
    make_box("quay", area=harbour)
    make_box("old")
    Box.objects.filter(pk=up.pk).update(online=True)
    page = admin_client.get("/boxes/")
    groups = [(g.site.name if g.site else None, [b.name for b in g.boxes], g.online, g.offline)
              for g in page.context["site_groups"]]
    assert groups == [("Campus", ["down", "up"], 1, 1), ("Harbour", ["quay"], 0, 1), (None, ["old"], 0, 1)]
    html = page.content.decode()
    assert "Campus / Building A / Floor 2" in html and 'data-site-group="none"' in html
    only_campus = admin_client.get("/boxes/", {"area": building.pk}).context["site_groups"]
    assert [[b.name for b in g.boxes] for g in only_campus] == [["down", "up"]]


def test_areas_api_crud_and_box_area(admin_client, make_box):
    site = admin_client.post("/api/areas/", {"name": "Campus", "parent": None}, content_type="application/json")
    assert site.status_code == 201, site.content
    floor = admin_client.post("/api/areas/", {"name": "Floor 1", "parent": site.json()["id"]},
                              content_type="application/json").json()
    again = admin_client.post("/api/areas/", {"name": "Campus"}, content_type="application/json")
    assert again.status_code == 400
    loop = admin_client.patch(f"/api/areas/{site.json()['id']}/", {"parent": floor["id"]},
                              content_type="application/json")
    assert loop.status_code == 400
    box = make_box("gate")
    moved = admin_client.patch(f"/api/boxes/{box.pk}/", {"area": floor["id"]}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["area"] == floor["id"]
    assert admin_client.delete(f"/api/areas/{floor['id']}/").status_code == 400  # a box stands in it
    admin_client.patch(f"/api/boxes/{box.pk}/", {"area": None}, content_type="application/json")
    assert admin_client.delete(f"/api/areas/{floor['id']}/").status_code == 204
    group = admin_client.post("/api/groups/", {"name": "staff", "areas": [site.json()["id"]]},
                              content_type="application/json")
    assert group.status_code == 201 and group.json()["areas"] == [site.json()["id"]]
    assert "/api/areas/" in admin_client.get("/api/schema/", {"format": "json"}).json()["paths"]


def test_areas_api_is_for_administrators_only(client, db):
    assert client.get("/api/areas/").status_code == 401


def test_console_creates_moves_attaches_and_deletes_only_empty_areas(admin_client, site_areas, make_box):
    campus, building, floor, harbour = site_areas
    response = admin_client.post("/boxes/areas/new/", {"name": "Gate 3", "parent": building.pk})
    assert response.status_code == 302
    gate = Area.objects.get(name="Gate 3")
    assert admin_client.post(f"/boxes/areas/{building.pk}/edit/", {"name": "Building A", "parent": floor.pk}
                             ).status_code == 200  # inside itself: refused
    admin_client.post(f"/boxes/areas/{gate.pk}/edit/", {"name": "Quay gate", "parent": harbour.pk})
    gate.refresh_from_db()
    assert (gate.name, gate.parent) == ("Quay gate", harbour)
    staff = PermissionGroup.objects.create(name="staff")
    admin_client.post(f"/boxes/areas/{building.pk}/groups/", {"groups": [staff.pk]})
    assert list(staff.areas.all()) == [building]
    page = admin_client.get("/boxes/areas/").content.decode()
    assert "Quay gate" in page and "staff" in page
    admin_client.post(f"/boxes/areas/{building.pk}/delete/")
    assert Area.objects.filter(pk=building.pk).exists()  # an area inside it
    make_box("gate", area=floor)
    admin_client.post(f"/boxes/areas/{floor.pk}/delete/")
    assert Area.objects.filter(pk=floor.pk).exists()  # a box stands in it
    admin_client.post(f"/boxes/areas/{gate.pk}/delete/")
    assert not Area.objects.filter(pk=gate.pk).exists()
    box = Box.objects.get(name="gate")
    admin_client.post(f"/boxes/{box.pk}/edit/", {"name": "gate", "area": harbour.pk, "record_upload_period": 60,
                                                  "device_monitor_period": 60})
    box.refresh_from_db()
    assert box.area == harbour
    assert "Harbour" in admin_client.get(f"/boxes/{box.pk}/").content.decode()


def test_events_chart_and_per_box_counts_follow_the_site_area_and_box_filters(admin_client, site_events):
    campus, harbour, floor = site_events
    quay = Box.objects.get(name="quay")

    def dashboard(**params):
        context = admin_client.get("/events/", params).context
        return sum(context["chart"]["counts"]), {row["box__name"]: row["count"] for row in context["per_box"]}

    assert dashboard() == (4, {"floor gate": 1, "quay": 2, "old": 1})
    assert dashboard(area=harbour.pk) == (2, {"quay": 2})
    assert dashboard(area=campus.pk) == dashboard(area=floor.pk) == (1, {"floor gate": 1})
    assert dashboard(box=quay.pk) == (2, {"quay": 2})
    assert dashboard(area=campus.pk, box=quay.pk) == (0, {})
    assert dashboard(identity_id="bob") == (4, {"floor gate": 1, "quay": 2, "old": 1})  # not a place filter


def test_a_site_manager_dashboard_with_another_sites_area_shows_nothing_of_it(client, world):
    """Another site's area is refused like one that does not exist (400, the form's error): the
    chart and per-box counts are then of the manager's own events, as for a missing area."""
    client.force_login(world.manager)
    answer = client.get("/events/", {"area": world.harbour.pk})
    missing = client.get("/events/", {"area": 10**9})
    assert answer.status_code == missing.status_code == 400
    assert answer.context["chart"]["counts"] == missing.context["chart"]["counts"]
    assert answer.context["per_box"] == missing.context["per_box"]
    assert {row["box_id"] for row in answer.context["per_box"]} == {world.box_a.pk}


def test_events_csv_has_each_events_site_and_area_path(admin_client, site_events, django_assert_max_num_queries):
    response = admin_client.get("/events/export.csv")
    with django_assert_max_num_queries(3):  # the events and the areas tree, not a query per row
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    places = {row["identity_id"]: (row["site"], row["area"]) for row in rows}
    assert places == {"ann": ("Campus", "Campus / Building A / Floor 2"), "bob": ("Harbour", "Harbour"),
                      "cy": ("Harbour", "Harbour"), "dee": ("", "")}


def test_event_page_shows_its_boxes_area_path(admin_client, site_events):
    from events.models import Event

    ann = Event.objects.get(identity_id="ann")
    page = admin_client.get(f"/events/{ann.pk}/").content.decode()
    assert "Campus / Building A / Floor 2" in page


def test_group_pages_list_the_area_paths_the_group_is_attached_to(admin_client, site_areas):
    _campus, building, floor, harbour = site_areas
    staff = PermissionGroup.objects.create(name="staff")
    admin_client.post(f"/boxes/areas/{floor.pk}/groups/", {"groups": [staff.pk]})
    admin_client.post(f"/boxes/areas/{harbour.pk}/groups/", {"groups": [staff.pk]})
    listing = admin_client.get("/groups/")
    assert [group.area_paths for group in listing.context["object_list"]] == [["Campus / Building A / Floor 2",
                                                                               "Harbour"]]
    assert "Campus / Building A / Floor 2" in listing.content.decode()
    edit = admin_client.get(f"/groups/{staff.pk}/edit/")
    assert edit.context["area_paths"] == ["Campus / Building A / Floor 2", "Harbour"]
    assert "Campus / Building A" not in admin_client.get("/groups/new/").content.decode()
