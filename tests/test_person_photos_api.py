"""/api/persons/<identity_id>/photos/: up to five photos per person, each with its quality verdict
(the boxes' face engine), checked before saving, removed, made primary (issue 15 item 1)."""
import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from users import services
from users.models import Person

from .helpers import blurred
from .paths import FACES


def read(path: str) -> bytes:
    return (FACES / path).read_bytes()


@pytest.fixture
def person(db):
    return services.create_person(name="Barack Obama", identity_id="obama", photo=read("enroll/obama/1.jpg"),
                                  distribute=False)


def upload(api, identity_id: str, photo: bytes, **fields):
    return api.post(f"/api/persons/{identity_id}/photos/",
                    {"photo": SimpleUploadedFile("face.jpg", photo, content_type="image/jpeg"), **fields},
                    format="multipart")


def test_photos_are_added_listed_with_verdicts_and_the_best_is_primary(api, person):
    added = upload(api, "obama", blurred("probe/obama/1.jpg"))
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["passes_gate"] is False and body["badge"]["kind"] == "fail" and "blurred" in body["badge"]["reason"]
    assert body["levels"]["high"]["code"] == 40006 and body["uploaded_by"] == "admin"
    as_json = api.post("/api/persons/obama/photos/", {"photo_base64": base64.b64encode(read("probe/obama/2.jpg"))
                                                       .decode()}, format="json")
    assert as_json.status_code == 201 and as_json.json()["badge"]["kind"] in ("pass", "warn")

    listed = api.get("/api/persons/obama/photos/").json()
    assert len(listed) == 3 and listed[0]["is_primary"] and listed[0]["passes_gate"]
    person_body = api.get("/api/persons/obama/").json()
    assert len(person_body["photos"]) == 3 and person_body["photo_sha256"] == listed[0]["sha256"]
    image = api.get(f"/api/persons/obama/photos/{listed[2]['id']}/image/")
    assert image.status_code == 200 and b"".join(image.streaming_content)[:2] == b"\xff\xd8"


def test_a_photo_is_judged_before_saving_and_refused_when_asked(api, person):
    judged = api.post("/api/persons/obama/photos/assess/",
                      {"photo_base64": base64.b64encode(blurred("probe/obama/2.jpg")).decode()}, format="json")
    assert judged.status_code == 200 and judged.json()["passes_gate"] is False
    assert judged.json()["badge"]["kind"] == "fail" and Person.objects.get().photos.count() == 1
    refused = upload(api, "obama", blurred("probe/obama/2.jpg"), require_gate="true")
    assert refused.status_code == 400 and refused.json()["code"] == 40006 and "blurred" in refused.json()["photo"][0]
    unreadable = upload(api, "obama", b"not an image at all")
    assert unreadable.status_code == 400 and unreadable.json()["code"] == 40003
    assert Person.objects.get().photos.count() == 1


def test_at_most_five_then_remove_and_make_primary(api, person):
    for name in ("1.jpg", "2.jpg", "3.jpg", "4.jpg"):
        assert upload(api, "obama", read(f"probe/obama/{name}")).status_code == 201
    sixth = upload(api, "obama", read("probe/obama/5.jpg"))
    assert sixth.status_code == 400 and "5 photos" in sixth.json()["photo"][0]
    listed = api.get("/api/persons/obama/photos/").json()
    last = listed[-1]
    made = api.post(f"/api/persons/obama/photos/{last['id']}/primary/")
    assert made.status_code == 200 and made.json()["is_primary"] and made.json()["pinned"]
    assert Person.objects.get().photo_sha256 == last["sha256"]
    assert api.delete(f"/api/persons/obama/photos/{last['id']}/").status_code == 204
    assert Person.objects.get().photos.count() == 4 and Person.objects.get().photo_sha256 != last["sha256"]
    assert api.delete(f"/api/persons/obama/photos/{last['id']}/").status_code == 404


def test_the_schema_documents_the_photo_endpoints(api, db):
    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/persons/{identity_id}/photos/"])
    assert "delete" in paths["/api/persons/{identity_id}/photos/{photo_id}/"]
    assert "post" in paths["/api/persons/{identity_id}/photos/{photo_id}/primary/"]
    assert "post" in paths["/api/persons/{identity_id}/photos/assess/"]
