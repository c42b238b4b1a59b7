"""What a site manager of site A can still learn about site B from how the platform answers (the
review of issue 16's roles): an object of B named in a filter is refused like one that does not
exist, and no page counts or names B's people."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

MISSING = 10**9  # an id no object has


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def status_and_error(response, field: str) -> tuple[int, str]:
    """The status and the field's error text (the API's JSON or the console page's HTML)."""
    if response["Content-Type"].startswith("application/json"):
        return response.status_code, " ".join(response.json().get(field, []))
    page = response.content.decode()
    return response.status_code, "valid choice" if "Select a valid choice" in page else ""


def refusals(ask, field: str, missing, of_b) -> tuple:
    return status_and_error(ask({field: missing}), field), status_and_error(ask({field: of_b}), field)


@pytest.mark.parametrize("where", ["event-list", "event-export", "api-event-list"])
def test_another_sites_area_in_the_events_filter_is_refused_like_a_missing_one(client, world, where, admin_user):
    client.force_login(world.manager)
    ask = (lambda query: client.get(reverse(where), query)) if not where.startswith("api-") else \
        (lambda query: api_for(world.manager).get(reverse(where), query))
    missing, of_b = refusals(ask, "area", MISSING, world.pier.pk)
    assert missing[0] == 400 and "valid choice" in missing[1], missing
    assert of_b == missing
    # Their own area still filters; the administrator's filter still reaches B's.
    assert ask({"area": world.floor.pk}).status_code == 200
    assert api_for(admin_user).get(reverse("api-event-list"), {"area": world.pier.pk}).json()["results"]


@pytest.mark.parametrize("where", ["attendance-daily", "attendance-monthly", "api-attendance",
                                   "api-attendance-summary"])
@pytest.mark.parametrize("field", ["area", "group", "person"])
def test_another_sites_area_group_or_person_in_the_attendance_filter_is_refused_like_a_missing_one(
        client, world, where, field):
    client.force_login(world.manager)
    ask = (lambda query: client.get(reverse(where), query)) if not where.startswith("api-") else \
        (lambda query: api_for(world.manager).get(reverse(where), query))
    of_b = {"area": world.harbour, "group": world.group_b, "person": world.person_b}[field].pk
    mine = {"area": world.campus, "group": world.group_a, "person": world.person_a}[field].pk
    missing, refused = refusals(ask, field, MISSING, of_b)
    assert missing[0] == 400 and "valid choice" in missing[1], missing
    assert refused == missing
    assert ask({field: mine}).status_code == 200


def test_an_identity_id_taken_at_another_site_is_refused_without_saying_whose(client, world, photo):
    """identity_id is unique over all sites, so the create is refused; the answer says only that
    the id is taken: not who has it, where, or their record's id."""
    import base64

    from django.core.files.uploadedfile import SimpleUploadedFile

    from users.models import Person

    told = [api_for(world.manager).post("/api/persons/", {
        "identity_id": "bravo-7", "name": "Eve", "permission_groups": ["Alpha staff"],
        "photo_base64": base64.b64encode(photo).decode()}, format="json")]
    client.force_login(world.manager)
    told.append(client.post(reverse("person-create"), {
        "identity_id": "bravo-7", "name": "Eve", "person_type": 1, "permission_groups": [world.group_a.pk],
        "photo_file": SimpleUploadedFile("face.jpg", photo, content_type="image/jpeg")}))
    for answer in told:
        text = answer.content.decode()
        assert answer.status_code in (200, 400) and "bravo-7 is already taken" in text, answer.status_code
        for secret in ("Bob Bravo", "Harbour", "Bravo crew", f"/people/{world.person_b.pk}/",
                       f'"id": {world.person_b.pk}'):
            assert secret not in text, secret
    assert not Person.objects.filter(name="Eve").exists()


@pytest.mark.parametrize("answered", [False, True])
def test_a_command_to_their_box_names_only_the_people_a_site_manager_sees(client, world, admin_user, answered):
    """A command to A's box that also carried B's person (one since moved to Harbour, say): A's
    manager reads Alice's name and a count for the rest; the administrator reads both names."""
    from distribution.models import Command, CommandOutcome
    from distribution.services import queue_command

    command = queue_command(world.box_a, Command.Method.DELETE_USERS, {"userid_list": ["alpha-1", "bravo-7"]},
                            publish=False)
    if answered:
        for identity_id in ("alpha-1", "bravo-7"):
            CommandOutcome.objects.create(command=command, identity_id=identity_id, success=False, code=40010,
                                          message="not found")
    url = reverse("command-detail", kwargs={"pk": command.pk})
    client.force_login(world.manager)
    page = client.get(url).content.decode()
    assert "Alice Alpha" in page and "alpha-1" in page
    assert "Bob Bravo" not in page and "bravo-7" not in page
    assert "And 1 person at other sites." in page
    client.force_login(admin_user)
    page = client.get(url).content.decode()
    assert "Bob Bravo" in page and "Alice Alpha" in page and "other sites" not in page


def test_face_group_counts_on_the_groups_page_are_of_the_people_a_site_manager_sees(client, world, admin_user):
    """Face groups span every site: A's manager counts A's members only."""
    from users.models import FaceGroup

    visitors = FaceGroup.objects.create(name="Visitors")
    visitors.people.add(world.person_a, world.person_b)
    client.force_login(world.manager)
    assert "Visitors · 1<" in client.get(reverse("group-list")).content.decode()
    client.force_login(admin_user)
    assert "Visitors · 2<" in client.get(reverse("group-list")).content.decode()


def test_only_administrators_create_rename_or_delete_groups(client, world, admin_user):
    """Groups are shared by all sites, their names unique over them (a site manager naming a new
    group "Bravo crew" would learn it exists): a site manager neither creates, renames nor deletes
    one, from the API (403; another site's group is still not found) or the console (403, and no
    button offers it); they still put their people in their groups."""
    from users.models import FaceGroup, PermissionGroup

    api = api_for(world.manager)
    group_a = f"/api/groups/{world.group_a.pk}/"
    refused = [api.post("/api/groups/", {"name": "Alpha night", "boxes": [world.box_a.dev_sno]}, format="json"),
               api.post("/api/groups/", {"name": "Bravo crew", "boxes": [world.box_a.dev_sno]}, format="json"),
               api.patch(group_a, {"name": "Alpha crew"}, format="json"),
               api.put(group_a, {"name": "Alpha crew"}, format="json"), api.delete(group_a)]
    assert [answer.status_code for answer in refused] == [403] * len(refused), [a.content for a in refused]
    assert "Only administrators" in refused[1].json()["detail"]
    assert api.patch(f"/api/groups/{world.group_b.pk}/", {"name": "x"}, format="json").status_code == 404
    client.force_login(world.manager)
    page = client.get(reverse("group-list")).content.decode()
    for offer in (reverse("group-create"), reverse("group-edit", args=[world.group_a.pk]),
                  reverse("group-delete", args=[world.group_a.pk]), reverse("facegroup-create")):
        assert offer not in page, offer
    assert client.get(reverse("group-create")).status_code == 403
    assert client.get(reverse("group-edit", args=[world.group_a.pk])).status_code == 403
    assert client.post(reverse("group-create"), {"name": "Alpha night", "boxes": [world.box_a.pk]}).status_code == 403
    assert client.post(reverse("group-edit", args=[world.group_a.pk]), {"name": "Alpha crew"}).status_code == 403
    assert client.post(reverse("group-delete", args=[world.group_a.pk])).status_code == 403
    assert client.post(reverse("facegroup-create"), {"name": "Visitors"}).status_code == 403
    assert set(PermissionGroup.objects.values_list("name", flat=True)) == {"Alpha staff", "Bravo crew"}
    assert not FaceGroup.objects.exists()
    # Their people still join their groups.
    joined = api.patch(f"/api/persons/{world.person_a.identity_id}/", {"permission_groups": ["Alpha staff"]},
                       format="json")
    assert joined.status_code == 200, joined.content
    # The administrator does all of it.
    admin = api_for(admin_user)
    made = admin.post("/api/groups/", {"name": "Alpha night", "boxes": [world.box_a.dev_sno]}, format="json")
    assert made.status_code == 201, made.content
    assert admin.patch(f"/api/groups/{made.json()['id']}/", {"name": "Alpha nights"}, format="json").status_code == 200
    assert admin.delete(f"/api/groups/{made.json()['id']}/").status_code == 204
    client.force_login(admin_user)
    page = client.get(reverse("group-list")).content.decode()
    assert reverse("group-create") in page and reverse("facegroup-create") in page


def test_another_sites_group_in_the_people_filter_finds_nobody_like_a_missing_one(client, world, admin_user):
    """Alice (site A) is in B's group too: A's manager filtering their people by B's group would
    learn so, and that the group exists."""
    world.person_a.permission_groups.add(world.group_b)
    client.force_login(world.manager)

    def page(group) -> list[str]:
        listed = client.get(reverse("person-list"), {"group": group}).context["object_list"]
        return [person.identity_id for person in listed]

    def api(user, group) -> list[str]:
        answer = api_for(user).get(reverse("api-person-list"), {"group": group})
        return [person["identity_id"] for person in answer.json()["results"]]

    assert page(world.group_b.pk) == page(MISSING) == []
    assert api(world.manager, world.group_b.name) == api(world.manager, "no such group") == []
    # Their own group still filters; the administrator's filter still reaches B's.
    assert page(world.group_a.pk) == api(world.manager, world.group_a.name) == [world.person_a.identity_id]
    assert world.person_a.identity_id in api(admin_user, world.group_b.name)
