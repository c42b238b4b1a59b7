"""/api/strangers/ and the console's Strangers pages: list with counts, boxes, first/last seen
and thumbnails; detail with events; enrol, merge, split, dismiss; the OpenAPI schema; both
languages. Stock-box events through intake, real engine and shared photos."""
import pytest

from events.models import Event
from faces.models import StrangerCluster
from users.models import PermissionGroup, Person

from .helpers import cluster_of

pytestmark = pytest.mark.django_db
URL = "/api/strangers/"


@pytest.fixture
def api(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_list_shows_each_stranger_with_counts_boxes_times_and_thumbnails(api, seen):
    listed = api.get(URL).json()
    assert listed["count"] == 2
    first, second = listed["results"]  # most recently seen first
    assert (first["sightings_count"], first["box_count"], first["state"]) == (3, 2, "open")
    assert {box["name"]: box["count"] for box in first["boxes"]} == {"south": 2, "north": 1}
    assert first["last_seen"].startswith("2023-11-14T22:2") and first["first_seen"] < first["last_seen"]
    assert len(first["thumbnails"]) == 3 and {t["event"] for t in first["thumbnails"]} == {e.pk for e in seen["obama"]}
    picture = api.get(first["thumbnails"][0]["url"])
    assert picture.status_code == 200
    assert second["sightings_count"] == 1
    assert api.get(URL, {"box": seen["stranger"][0].box_id}).json()["count"] == 2
    assert api.get(URL, {"min_sightings": 2}).json()["count"] == 1


def test_the_detail_lists_the_events_with_their_quality(api, seen):
    cluster = cluster_of(seen["obama"][0])
    detail = api.get(f"{URL}{cluster.pk}/").json()
    assert [e["id"] for e in detail["events"]] == [e.pk for e in reversed(seen["obama"])]
    assert all(e["quality"] is not None and 0 < e["similarity"] <= 1 for e in detail["events"])


def test_enrol_in_one_call(api, seen, boxes):
    group = PermissionGroup.objects.create(name="visitors")
    group.boxes.set(boxes.values())
    cluster = cluster_of(seen["obama"][0])
    response = api.post(f"{URL}{cluster.pk}/enrol/", {"name": "Barack", "person_type": 2,
                                                      "permission_groups": ["visitors"]},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(identity_id=response.json()["identity_id"])
    assert person.name == "Barack" and person.person_type == 2 and person.photos.count() == 3
    assert set(Event.objects.filter(identity_id=person.identity_id).values_list("pk", flat=True)) == \
        {e.pk for e in seen["obama"]}
    assert api.get(f"{URL}{cluster.pk}/").json()["person"] == person.identity_id
    again = api.post(f"{URL}{cluster.pk}/enrol/", {"name": "Again", "person_type": 2}, content_type="application/json")
    assert again.status_code == 400 and "enrolled" in again.json()["detail"]
    staff = api.post(f"{URL}{cluster_of(seen['stranger'][0]).pk}/enrol/", {"name": "X", "person_type": 1},
                     content_type="application/json")
    assert staff.status_code == 400 and "person_type" in staff.json()


def test_split_merge_and_dismiss_through_the_api(api, seen):
    cluster = cluster_of(seen["obama"][0])
    split = api.post(f"{URL}{cluster.pk}/split/", {"events": [seen["obama"][2].pk]}, content_type="application/json")
    assert split.status_code == 201 and split.json()["sightings_count"] == 1
    part = split.json()["id"]
    merged = api.post(f"{URL}{cluster.pk}/merge/", {"others": [part]}, content_type="application/json")
    assert merged.status_code == 200 and merged.json()["sightings_count"] == 3
    assert api.get(f"{URL}{part}/").json()["state"] == "merged"
    unknown = api.post(f"{URL}{cluster.pk}/merge/", {"others": [999_999]}, content_type="application/json")
    assert unknown.status_code == 400
    dismissed = api.post(f"{URL}{cluster.pk}/dismiss/")
    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
    assert [c["id"] for c in api.get(URL).json()["results"]] == [cluster_of(seen["stranger"][0]).pk]
    assert [c["id"] for c in api.get(URL, {"state": "dismissed"}).json()["results"]] == [cluster.pk]
    assert api.get(URL, {"state": "all"}).json()["count"] == 2


def test_the_api_is_in_the_schema_and_for_administrators_only(api, client):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/strangers/", "/api/strangers/{id}/", "/api/strangers/{id}/enrol/",
                 "/api/strangers/{id}/merge/", "/api/strangers/{id}/split/", "/api/strangers/{id}/dismiss/"):
        assert path in schema["paths"], path
    client.logout()
    assert client.get(URL).status_code in (401, 403)


def test_the_console_pages_in_both_languages(api, seen):
    cluster = cluster_of(seen["obama"][0])
    page = api.get("/faces/strangers/").content.decode()
    assert "Seen 3 times at 2 box(es)" in page and f'data-cluster-id="{cluster.pk}"' in page
    chinese = api.get("/faces/strangers/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "陌生人" in chinese and "Seen 3 times" not in chinese
    detail = api.get(f"/faces/strangers/{cluster.pk}/").content.decode()
    assert all(f'data-event-id="{e.pk}"' in detail for e in seen["obama"]) and 'id="enrol-form"' in detail


def test_the_console_enrols_splits_merges_and_dismisses(api, seen):
    obama, other = cluster_of(seen["obama"][0]), cluster_of(seen["stranger"][0])
    split = api.post(f"/faces/strangers/{obama.pk}/split/", {"events": [seen["obama"][0].pk]})
    part = cluster_of(seen["obama"][0])
    assert split.status_code == 302 and part.pk != obama.pk
    merged = api.post("/faces/strangers/merge/", {"clusters": [obama.pk, part.pk]})
    assert merged.status_code == 302 and cluster_of(seen["obama"][0]).pk == obama.pk
    refused = api.post(f"/faces/strangers/{obama.pk}/enrol/", {"name": "", "person_type": 2})
    assert refused.status_code == 400
    enrolled = api.post(f"/faces/strangers/{obama.pk}/enrol/", {"name": "Barack", "person_type": 3})
    assert enrolled.status_code == 302 and Person.objects.get(name="Barack").person_type == 3
    assert StrangerCluster.objects.get(pk=obama.pk).state == "enrolled"
    assert api.post(f"/faces/strangers/{other.pk}/dismiss/").status_code == 302
    assert StrangerCluster.objects.get(pk=other.pk).state == "dismissed"


def test_a_site_manager_sees_strangers_seen_at_their_boxes_and_changes_none(world):
    """A face seen at both sites: A's manager sees it with A's box and event only, and may not
    enrol, merge, split or dismiss it (that changes what B's operators see too)."""
    from rest_framework.test import APIClient

    from faces.models import StrangerSighting

    StrangerSighting.objects.filter(cluster=world.stranger_b).update(cluster=world.stranger_a)
    manager = APIClient()
    manager.force_authenticate(world.manager)
    [shown] = manager.get(URL).json()["results"]
    assert [box["name"] for box in shown["boxes"]] == ["Alpha gate"]
    assert [t["event"] for t in shown["thumbnails"]] == [world.event_a.pk]
    detail = manager.get(f"{URL}{world.stranger_a.pk}/").json()
    assert [e["id"] for e in detail["events"]] == [world.event_a.pk] and "Bravo" not in str(detail)
    for action in ("dismiss", "enrol", "split", "merge"):
        assert manager.post(f"{URL}{world.stranger_a.pk}/{action}/", {}, format="json").status_code == 403, action


def test_a_stranger_events_page_links_to_its_stranger(api, seen):
    cluster = cluster_of(seen["obama"][1])
    page = api.get(f"/events/{seen['obama'][1].pk}/").content.decode()
    assert f'href="/faces/strangers/{cluster.pk}/"' in page and "This face: seen 3 times" in page
