"""Roles in the REST API (issue 16 item 3): a site manager of site A sees nothing of site B in any
list or detail, writes only within A, and a viewer's every write is refused. The checks walk
every /api/ route: a route added later without scoping fails here unless it is named below."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from .paths import FACES
from .roles_routes import api_routes

# Routes with nothing of any site in them.
UNSCOPED = {
    "api-root": "the list of the API's URLs",
    "schema": "the API's description (no data)",
    "api-docs": "the API's documentation page (no data)",
}
# Routes for administrators only: a site manager and a viewer are refused them whole.
ADMINISTRATORS_ONLY = {"api-audit-list", "api-audit-detail", "api-operator-list", "api-operator-detail",
                       "api-operator-disable", "api-operator-enable", "api-operator-reset"}
# Routes that read through POST (checked by their own tests below).
READ_BY_POST = {"api-search-face"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def lookups(world, side: str) -> dict[str, dict]:
    """The URL kwargs naming one object of `side` ("a" or "b"), by the route's resource."""
    pick = {"a": 0, "b": 1}[side]
    return {
        "box": {"pk": (world.box_a, world.box_b)[pick].pk},
        "area": {"pk": (world.floor, world.pier)[pick].pk},
        "person": {"identity_id": (world.person_a, world.person_b)[pick].identity_id},
        **{f"person-photo-{what}": {"identity_id": (world.person_a, world.person_b)[pick].identity_id,
                                     "photo_id": (world.person_a, world.person_b)[pick].photos.get().pk}
           for what in ("detail", "primary", "image")},
        "group": {"pk": (world.group_a, world.group_b)[pick].pk},
        "command": {"pk": (world.command_a, world.command_b)[pick].pk},
        "event": {"pk": (world.event_a, world.event_b)[pick].pk},
        "event-quarantined": {"kept_id": (world.kept_a, world.kept_b)[pick].pk},
        "stranger": {"pk": (world.stranger_a, world.stranger_b)[pick].pk},
    }


def url_of(route, world, side: str) -> str:
    if not route.kwargs:
        return reverse(route.name)
    resource = route.name.removeprefix("api-")
    table = lookups(world, side)
    key = resource if resource in table else resource.split("-")[0]
    assert key in table, f"{route.name}: say which object of each site names it (lookups) or allow-list it"
    return reverse(route.name, kwargs=table[key])


def assert_nothing_of_b(world, body: str, where: str) -> None:
    for marker in world.b_markers:
        assert marker not in body, f"{where} shows {marker!r} of site B to A's site manager"


def test_every_api_route_is_scoped_for_a_site_manager(world, admin_user):
    manager, admin = client_for(world.manager), client_for(admin_user)
    checked = 0
    for route in api_routes():
        if route.name in UNSCOPED or route.name in READ_BY_POST:
            continue
        if route.name in ADMINISTRATORS_ONLY:
            assert manager.get(reverse(route.name, kwargs={"pk": 1} if route.kwargs else None)).status_code == 403
            continue
        if not route.kwargs:  # a list: A's manager sees none of B's, the administrator does
            mine, everyone = manager.get(reverse(route.name)), admin.get(reverse(route.name))
            assert mine.status_code == 200 and everyone.status_code == 200, route.name
            assert_nothing_of_b(world, mine.content.decode(), route.name)
            assert any(marker in everyone.content.decode() for marker in world.b_markers), \
                f"{route.name}: the administrator should see B's, or the check proves nothing"
        else:  # one object: B's is not found (not even forbidden: ids do not leak), A's is
            for method in ("get", "post", "put", "patch", "delete"):
                answer = getattr(manager, method)(url_of(route, world, "b"), {}, format="json")
                assert answer.status_code in (404, 405), f"{method} {route.name} of B: {answer.status_code}"
            if manager.get(url_of(route, world, "a")).status_code != 405:
                assert manager.get(url_of(route, world, "a")).status_code == 200, route.name
        checked += 1
    assert checked >= 15


def test_a_viewer_writes_nothing_anywhere(world):
    viewer = client_for(world.viewer)
    for route in api_routes():
        if route.name in UNSCOPED:
            continue
        if route.name in ADMINISTRATORS_ONLY:
            assert viewer.get(reverse(route.name, kwargs={"pk": 1} if route.kwargs else None)).status_code == 403
            continue
        for side in ("a", "b"):
            url = url_of(route, world, side)
            for method in ("post", "put", "patch", "delete"):
                if route.name in READ_BY_POST and method == "post":
                    continue
                answer = getattr(viewer, method)(url, {}, format="json")
                assert answer.status_code == 403, f"viewer {method} {route.name}: {answer.status_code}"
    assert viewer.get(reverse("api-box-list")).json()["count"] == 2  # and reads everything


def test_a_site_manager_writes_only_within_their_sites(world):
    manager = client_for(world.manager)
    # Nothing of B can be named in a write: it does not exist for them.
    refused = [
        manager.post("/api/persons/", {"name": "Eve", "permission_groups": ["Bravo crew"]}, format="json"),
        manager.post("/api/boxes/", {"name": "Sneaky", "area": world.pier.pk}, format="json"),
        manager.post("/api/areas/", {"name": "Sneaky", "parent": world.harbour.pk}, format="json"),
        manager.patch(f"/api/boxes/{world.box_a.pk}/", {"area": world.pier.pk}, format="json"),
        # Nor may they leave their sites: a box in no area, a new site, a group or person serving nobody of theirs.
        manager.post("/api/boxes/", {"name": "Nowhere"}, format="json"),
        manager.post("/api/areas/", {"name": "New site"}, format="json"),
        manager.post("/api/persons/", {"name": "Eve"}, format="json"),
    ]
    assert [answer.status_code for answer in refused] == [400] * len(refused), [a.content for a in refused]
    # Their own site's changes go through.
    assert manager.post("/api/areas/", {"name": "Floor 3", "parent": world.campus.pk}, format="json").status_code == 201
    renamed = manager.patch(f"/api/persons/{world.person_a.identity_id}/", {"name": "Alice A."}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Alice A."
    # Their site itself is the administrators'.
    assert manager.patch(f"/api/areas/{world.campus.pk}/", {"name": "Mine"}, format="json").status_code == 403


def test_what_reaches_beyond_their_sites_is_read_only_to_a_site_manager(world):
    """A group serving a box of A and one of B: A's manager sees it (with A's box only) but
    cannot change it, nor a person in it: that would change B's boxes."""
    from users import services as people

    people.save_group(world.group_b, boxes=[world.box_a, world.box_b])
    manager = client_for(world.manager)
    seen = manager.get(f"/api/groups/{world.group_b.pk}/")
    assert seen.status_code == 200 and seen.json()["boxes"] == [world.box_a.dev_sno]
    assert manager.patch(f"/api/groups/{world.group_b.pk}/", {"description": "x"}, format="json").status_code == 403
    assert manager.delete(f"/api/persons/{world.person_b.identity_id}/").status_code == 403


def test_the_face_search_finds_only_the_managers_events(world):
    manager = client_for(world.manager)
    assert manager.post("/api/search/face/", {"event": world.event_b.pk}, format="json").status_code == 404
    with (FACES / "probe/obama/1.jpg").open("rb") as photo:
        found = manager.post("/api/search/face/", {"photo": photo, "min_score": 0}, format="multipart")
    assert found.status_code == 200, found.content
    assert {hit["event"]["id"] for hit in found.json()["results"]} <= {world.event_a.pk}
    assert_nothing_of_b(world, found.content.decode(), "the face search")


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_a_token_carries_its_accounts_role(world, role):
    """The API's tokens act as their account: a site manager's token is scoped like their session."""
    from accounts.services import create_api_token

    _token, key = create_api_token(getattr(world, role), name="script", valid_for=None)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    boxes = client.get("/api/boxes/").json()
    assert boxes["count"] == (1 if role == "manager" else 2)
    renamed = client.patch(f"/api/boxes/{world.box_a.pk}/", {"name": "Alpha door"}, format="json")
    assert renamed.status_code == (200 if role == "manager" else 403)


def test_a_site_managers_attendance_counts_only_passages_at_their_boxes(world, admin_user):
    """A person served at both sites: A's manager sees them, but their day from A's boxes alone."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from events.models import Event

    world.person_a.permission_groups.add(world.group_b)  # now also served at Harbour's box
    day = timezone.localdate() - timedelta(days=1)
    zone = timezone.get_current_timezone()
    for box, moment in ((world.box_b, time(8, 30)), (world.box_a, time(10, 0))):
        at = datetime.combine(day, moment, tzinfo=zone)
        Event.objects.create(box=box, dedup_key=f"both-{box.pk}", occurred_at=at,
                             timestamp_ms=int(at.timestamp() * 1000), identity_id="alpha-1",
                             identity_name="Alice Alpha", score=0.9, person_type=1)
    query = {"since": day.isoformat(), "person": world.person_a.pk}

    def first_in(user) -> str:
        [row] = client_for(user).get("/api/attendance/", query).json()["results"]
        return row["first_in"]

    assert first_in(admin_user).startswith(f"{day.isoformat()}T08:30")
    assert first_in(world.manager).startswith(f"{day.isoformat()}T10:00")
