"""A person without a photo is not sent to boxes (upstream §6.1 requires reg_photo, reg_url or
relative_pic_url; issue 11 item 6): held back, shown as "needs a photo", sent once a photo comes."""
import base64

import pytest

from distribution.models import Command
from users.models import PermissionGroup, Person

from .fakebox import FakeBox
from .paths import FACES

PHOTO = (FACES / "enroll/obama/1.jpg").read_bytes()


@pytest.fixture
def site(api, make_box, client, django_capture_on_commit_callbacks):
    """A box with a permission group, and the box's protocol-level view of the platform."""
    box = make_box("Gate")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/groups/", {"name": "staff", "boxes": [box.dev_sno]}, format="json").status_code == 201
    return box, FakeBox(client, box.dev_sno)


def create(api, capture, identity_id: str, photo: bytes | None = None) -> dict:
    body = {"identity_id": identity_id, "name": identity_id.title(), "permission_groups": ["staff"]}
    if photo is not None:
        body["photo_base64"] = base64.b64encode(photo).decode()
    with capture(execute=True):
        response = api.post("/api/persons/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_person_without_photo_is_held_back_and_shown_as_needing_one(
        site, api, admin_user, client, django_capture_on_commit_callbacks):
    box, fake = site
    created = create(api, django_capture_on_commit_callbacks, "nophoto")
    assert created["needs_photo"] is True and created["enrolments"] == []
    assert fake.receive(timeout=1.0) is None
    assert not Command.objects.filter(box=box).exists()

    client.force_login(admin_user)
    person = Person.objects.get(identity_id="nophoto")
    for page in (f"/people/{person.pk}/", "/people/", f"/boxes/{box.pk}/"):
        assert "needs a photo" in client.get(page).content.decode(), page
    placements = client.get(f"/people/{person.pk}/").content.decode().split('id="placements"')[1]
    assert "Gate" in placements and "needs a photo" in placements and "not sent" not in placements

    # A full resync does not send them either.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/boxes/{box.pk}/command/resync/")
    assert fake.receive(timeout=1.0) is None


def test_details_leave_out_a_person_without_photo(site, api, client, django_capture_on_commit_callbacks):
    box, fake = site
    create(api, django_capture_on_commit_callbacks, "withphoto", PHOTO)
    create(api, django_capture_on_commit_callbacks, "nophoto")
    command = fake.receive()
    assert command["userid_list"] == ["withphoto"]
    # Even asked for by name, with the box's own token, outside any command.
    url = fake.signed("/box/persons")
    users = client.post(url, {"userid_list": ["withphoto", "nophoto"]},
                        content_type="application/json").json()["data"]["user_list"]
    assert [u["identity_id"] for u in users] == ["withphoto"]
    assert all({"reg_photo", "reg_url", "relative_pic_url"} & set(u) for u in users)


def test_adding_the_photo_later_sends_the_person(site, api, client, django_capture_on_commit_callbacks):
    box, fake = site
    create(api, django_capture_on_commit_callbacks, "later")
    assert fake.receive(timeout=1.0) is None
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch("/api/persons/later/", {"photo_base64": base64.b64encode(PHOTO).decode()},
                             format="json")
    assert response.status_code == 200 and response.json()["needs_photo"] is False
    assert response.json()["enrolments"][0]["state"] == "pending"
    command = fake.receive()
    assert command["method"] == "add_users_plus" and command["userid_list"] == ["later"]
    [details] = fake.details(command)
    assert fake.photo(details["relative_pic_url"]).getvalue() == PHOTO


def test_group_membership_alone_does_not_send_a_person_without_photo(site, django_capture_on_commit_callbacks):
    from users import services

    box, fake = site
    person = Person.objects.create(identity_id="member", name="Member")
    with django_capture_on_commit_callbacks(execute=True):
        services.set_group_members(PermissionGroup.objects.get(name="staff"), [person])
    assert fake.receive(timeout=1.0) is None
