"""Several photos per person on the wire (issue 15 item 1): a stock box's §6.1 reply is as
before, with the best photo; a box that asks (`ext_photos: true`, our agent) gets every photo,
each fetchable by it; changing a person's photos sends them again."""
import hashlib

import pytest

from users import services
from users.models import Person

from .fakebox import FakeBox
from .helpers import blurred, face_photo

SECTION_6_1 = {"identity_id", "register_type", "info", "relative_pic_url"}


@pytest.fixture
def site(serve_obama):
    """A box serving a group holding Obama with three photos: blurred first, then two sharp ones."""
    return serve_obama(blurred("enroll/obama/1.jpg"), face_photo("probe/obama/5.jpg"), face_photo("enroll/obama/1.jpg"))


def details(client, fake: FakeBox, identity_ids: list[str], **extra) -> list[dict]:
    response = client.post(fake.signed("/box/persons"), {"userid_list": identity_ids, **extra},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["data"]["user_list"]


def test_a_stock_box_gets_the_6_1_reply_with_the_best_photo(site, client):
    box, fake, person = site
    [entry] = details(client, fake, ["obama"])
    assert set(entry) == SECTION_6_1  # nothing added for a box that did not ask
    best = person.photos.get(is_primary=True)
    assert best.passes_gate and not person.photos.get(position=0).passes_gate  # the blurred first one is not sent
    photo = fake.photo(entry["relative_pic_url"]).getvalue()
    assert hashlib.sha256(photo).hexdigest() == best.sha256 == person.photo_sha256


def test_a_box_asking_for_ext_photos_gets_every_photo_primary_first(site, client):
    box, fake, person = site
    [entry] = details(client, fake, ["obama"], ext_photos=True)
    assert SECTION_6_1 <= set(entry)
    photos = entry["ext_photos"]
    assert [p["sha256"] for p in photos][0] == person.photo_sha256 and photos[0]["primary"]
    assert {p["sha256"] for p in photos} == set(person.photos.values_list("sha256", flat=True))
    assert [p["primary"] for p in photos] == [True, False, False]
    for listed in photos:
        assert hashlib.sha256(fake.photo(listed["relative_pic_url"]).getvalue()).hexdigest() == listed["sha256"]
    blurred_entry = min(photos, key=lambda p: p["quality"]["sharpness"])
    assert "high" not in blurred_entry["quality"]["passes"] and "no" in blurred_entry["quality"]["passes"]
    assert blurred_entry["quality"]["sharpness"] < 0.5 and not blurred_entry["primary"]


def test_another_persons_photos_are_not_served_to_the_box(site, client, make_box):
    box, fake, person = site
    stranger = services.create_person(name="Not served", photo=face_photo("enroll/biden/1.jpg"), distribute=False)
    url = fake.signed(f"/box/photos/{stranger.photo_sha256}.jpg")
    assert client.get(url).status_code == 404
    other_photo = person.photos.exclude(is_primary=True).first()
    assert client.get(fake.signed(f"/box/photos/{other_photo.sha256}.jpg")).status_code == 200


def test_adding_removing_or_choosing_a_photo_sends_the_person_again(site, django_capture_on_commit_callbacks):
    box, fake, person = site
    with django_capture_on_commit_callbacks(execute=True):
        services.add_person_photo(person, face_photo("probe/obama/1.jpg"))
    command = fake.receive()
    assert command["method"] == "add_users_plus" and command["userid_list"] == ["obama"]
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_person_photo(person.photos.get(position=0))
    assert fake.receive()["userid_list"] == ["obama"]
    with django_capture_on_commit_callbacks(execute=True):
        services.make_primary_photo(person.photos.exclude(is_primary=True).first())
    assert fake.receive()["userid_list"] == ["obama"]
    assert Person.objects.get(pk=person.pk).photos.count() == 3
