"""What an attacker tried and the platform already held: kept held.

Anonymous and non-staff users get no console page, API or picture; forms need the CSRF
token; names a box sends are escaped where the console shows them; a box's pictures are
only stored when they decode as images; file names from outside never leave their folder.
"""
import base64
import io
import os

import pytest
from django.test import Client
from PIL import Image

from events.models import Event
from users.models import Person

XSS = '<img src=x onerror="alert(1)">'


def console_urls(person: Person, box, event: Event) -> list[str]:
    return ["/boxes/", "/boxes/new/", f"/boxes/{box.pk}/", f"/boxes/{box.pk}/edit/", "/people/", "/people/new/",
            f"/people/{person.pk}/", f"/people/{person.pk}/edit/", f"/people/{person.pk}/photo.jpg", "/groups/",
            "/commands/", "/events/", "/events/export.csv", f"/events/{event.pk}/spot.jpg", "/events/quarantine/",
            "/people/import/", "/fiqa/", "/api/boxes/", "/api/persons/", "/api/events/", "/api/commands/",
            "/api/schema/", "/api/docs/"]


@pytest.fixture
def world(db, make_box):
    box = make_box("gate")
    person = Person.objects.create(identity_id="p-1", name="Someone")
    event = Event.objects.create(box=box, dedup_key="k", occurred_at="2026-11-29T10:00:00Z",
                                 timestamp_ms=1_796_032_800_000, score=0.9, identity_id="p-1",
                                 identity_name=XSS, group_name=XSS)
    return person, box, event


def test_anonymous_gets_nothing(world):
    client = Client()
    for url in console_urls(*world):
        reply = client.get(url)
        assert reply.status_code in (302, 401, 403), url
        if reply.status_code == 302:
            assert reply["Location"].startswith("/login/"), url


def test_non_staff_gets_nothing(world, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("visitor", password="x-Visitor-1"))
    for url in console_urls(*world):
        reply = client.get(url)
        assert reply.status_code in (302, 403), url
        assert b"Someone" not in reply.content, url


def test_console_forms_need_the_csrf_token(world, admin_user):
    person, box, _event = world
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    for url in ["/people/new/", f"/people/{person.pk}/delete/", f"/boxes/{box.pk}/disable/", "/groups/new/"]:
        assert client.post(url, {"name": "x"}).status_code == 403, url
    assert Person.objects.filter(pk=person.pk).exists()
    box.refresh_from_db()
    assert box.enabled


def test_names_sent_by_a_box_are_escaped_on_console_pages(world, admin_user):
    person, box, _event = world
    client = Client()
    client.force_login(admin_user)
    for url in ["/events/", f"/boxes/{box.pk}/", f"/people/{person.pk}/"]:
        page = client.get(url).content.decode()
        assert XSS not in page, url
    assert "&lt;img src=x onerror=" in client.get("/events/").content.decode()


@pytest.mark.parametrize("which", ["../../secret-key", "..%2F..%2Fsecret-key", "spot/../../x"])
def test_picture_names_cannot_leave_their_folder(world, admin_user, which):
    client = Client()
    client.force_login(admin_user)
    _person, _box, event = world
    assert client.get(f"/events/{event.pk}/{which}.jpg").status_code == 404


def _picture_event(identity: str, picture: bytes) -> dict:
    return {"identity_id": identity, "identity_name": identity, "group_name": "g", "timestamp": 1_796_032_800_000,
            "score": 0.5, "ext_data": {"device_ip": "10.0.0.9", "ep_id": "e", "person_type": 4, "device_type": "1",
                                       "spot_pic": base64.b64encode(picture).decode()}}


def test_box_pictures_are_kept_only_when_they_are_images(client, make_box):
    box = make_box("pictures")
    login = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000f7"}).json()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    random_bytes = os.urandom(30 * 1024 * 1024)
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(jpeg, "JPEG")
    batch = [_picture_event("svg", svg), _picture_event("html", html), _picture_event("random", random_bytes),
             _picture_event("jpeg", jpeg.getvalue())]
    reply = client.post(login["recordAddr"], batch, content_type="application/json")
    assert reply.status_code == 200, reply.content[:300]
    events = {e.identity_id: e for e in Event.objects.filter(box=box)}
    assert {events[name].spot_pic for name in ("svg", "html", "random")} == {""}
    assert all("spot_pic" in events[name].picture_problems for name in ("svg", "html", "random"))
    assert events["jpeg"].spot_pic.endswith(".jpg")


def test_a_picture_over_the_size_limit_is_not_kept(client, make_box, settings):
    settings.EVENT_PICTURE_MAX_BYTES = 1024 * 1024
    box = make_box("big picture")
    login = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000f8"}).json()
    big = io.BytesIO()
    Image.frombytes("RGB", (1200, 1200), os.urandom(1200 * 1200 * 3)).save(big, "PNG")
    assert len(big.getvalue()) > settings.EVENT_PICTURE_MAX_BYTES
    reply = client.post(login["recordAddr"], [_picture_event("big", big.getvalue())],
                        content_type="application/json")
    assert reply.status_code == 200
    stored = Event.objects.get(box=box, identity_id="big")
    assert stored.spot_pic == "" and "spot_pic" in stored.picture_problems
