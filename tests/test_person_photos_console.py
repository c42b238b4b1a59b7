"""The person page's photos (issue 15 item 1): up to five, each with its quality badge and reason
(both languages), added (one the boxes would refuse only when the administrator insists),
removed, made primary."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from users import services
from users.models import Person

from .helpers import blurred
from .paths import FACES


def read(path: str) -> bytes:
    return (FACES / path).read_bytes()


@pytest.fixture
def person(db, client, admin_user):
    client.force_login(admin_user)
    return services.create_person(name="Barack Obama", identity_id="obama", photo=read("enroll/obama/1.jpg"),
                                  distribute=False)


def add(client, person, photo: bytes, **fields):
    return client.post(f"/people/{person.pk}/photos/add/",
                       {"photo": SimpleUploadedFile("face.jpg", photo, content_type="image/jpeg"), **fields},
                       follow=True)


def test_the_page_shows_each_photo_with_its_badge_and_reason_in_both_languages(client, person):
    services.add_person_photo(person, blurred("probe/obama/1.jpg"), distribute=False)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert 'id="photos"' in page and "Photos (2 of at most 5)" in page
    assert 'data-quality="pass"' in page and 'data-quality="fail"' in page
    assert "A box would refuse it: the face is blurred" in page
    assert 'id="photo-upload"' in page and "/api/persons/obama/photos/assess/" in page
    chinese = client.get(f"/people/{person.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "A box would refuse it" not in chinese and "Make primary" not in chinese
    for photo in person.photos.all():
        assert client.get(f"/people/{person.pk}/photos/{photo.pk}/thumbnail.jpg").status_code == 200


def test_a_photo_the_boxes_would_refuse_is_added_only_when_insisted_on(client, person):
    refused = add(client, person, blurred("probe/obama/2.jpg")).content.decode()
    assert "A box would refuse it: the face is blurred" in refused and "to keep it anyway" in refused, refused
    assert person.photos.count() == 1
    kept = add(client, person, blurred("probe/obama/2.jpg"), anyway="on")
    assert "Photo added" in kept.content.decode() and person.photos.count() == 2
    good = add(client, person, read("probe/obama/1.jpg"))
    assert "Photo added" in good.content.decode() and person.photos.count() == 3
    unreadable = add(client, person, b"GIF89a not really")
    assert "cannot be used" in unreadable.content.decode() and person.photos.count() == 3


def test_make_primary_and_remove_from_the_page(client, person):
    other = services.add_person_photo(person, read("probe/obama/5.jpg"), distribute=False)
    client.post(f"/people/{person.pk}/photos/{other.pk}/primary/")
    assert Person.objects.get(pk=person.pk).photo_sha256 == other.sha256
    client.post(f"/people/{person.pk}/photos/{other.pk}/remove/")
    assert person.photos.count() == 1 and Person.objects.get(pk=person.pk).photo_sha256 != other.sha256
    for _ in range(4):
        services.add_person_photo(person, read(f"probe/obama/{_ + 1}.jpg"), distribute=False)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert 'id="photo-upload"' not in page and "remove one to add another" in page
