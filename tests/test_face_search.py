"""Search by face (issue 15 item 5): `POST /api/search/face/` and the console's page, over events
whose embeddings the platform computed from their spot pictures (real engine, shared photos)."""
import io

import numpy as np
import pytest
from PIL import Image

from events.models import Event
from faces import index as face_index
from faces.engine import current_model, picture_embedding
from faces.index import FaceIndex
from faces.models import FaceEmbedding

from .helpers import event, record_url
from .paths import FACES

pytestmark = pytest.mark.django_db
URL = "/api/search/face/"
# (identity, box, shared photo): obama at both boxes, biden and kit at one each.
SIGHTINGS = [("obama", "north", "probe/obama/1.jpg"), ("obama", "south", "probe/obama/2.jpg"),
             ("obama", "south", "probe/obama/5.jpg"), ("biden", "south", "probe/biden/1.jpg"),
             ("kit", "north", "probe/kit_harington/1.jpg"), ("kit", "north", "probe/kit_harington/2.jpg")]


@pytest.fixture(autouse=True)
def _fresh_index():
    """Each test's database starts empty: so does this process's index, and no file is left."""
    face_index.forget_shared_index()
    face_index.index_path().unlink(missing_ok=True)
    yield
    face_index.forget_shared_index()
    face_index.index_path().unlink(missing_ok=True)


@pytest.fixture
def sightings(client, make_box, commit) -> dict[str, list[int]]:
    """The events of SIGHTINGS, stored by intake as a stock box sends them; their ids by identity."""
    boxes = {name: make_box(name) for name in ("north", "south")}
    for number, (identity, box, photo) in enumerate(SIGHTINGS):
        body = event(identity, 1_700_000_000_000 + number * 60_000, (FACES / photo).read_bytes(), person_type=4)
        response = commit(client.post, record_url(client, boxes[box]), [body], content_type="application/json")
        assert response.json()["data"]["stored"] == 1
    assert FaceEmbedding.objects.filter(vector__isnull=False).count() == len(SIGHTINGS)
    ids: dict[str, list[int]] = {}
    for pk, identity in Event.objects.values_list("pk", "identity_id"):
        ids.setdefault(identity, []).append(pk)
    return ids


def photo_file(relative: str) -> io.BytesIO:
    upload = io.BytesIO((FACES / relative).read_bytes())
    upload.name = relative.rsplit("/", 1)[-1]
    return upload


def found(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_photo_of_one_person_finds_their_events_at_every_box_and_none_of_anothers(client, admin_user, sightings):
    client.force_login(admin_user)
    results = found(client.post(URL, {"photo": photo_file("enroll/obama/1.jpg")}))
    assert sorted(hit["event"]["id"] for hit in results) == sorted(sightings["obama"])
    assert {hit["event"]["box_name"] for hit in results} == {"north", "south"}
    scores = [hit["score"] for hit in results]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.4
    first = results[0]["event"]
    assert first["spot_pic_url"] and first["detail_url"] and first["occurred_at"] and first["identity_id"] == "obama"
    assert client.get(first["spot_pic_url"]).status_code == 200

    biden = found(client.post(URL, {"photo": photo_file("enroll/biden/1.jpg")}))
    assert [hit["event"]["id"] for hit in biden] == sightings["biden"]


def test_an_events_face_finds_the_same_persons_other_events(client, admin_user, sightings):
    client.force_login(admin_user)
    probe = sightings["kit"][0]
    results = found(client.post(URL, {"event": probe}, content_type="application/json"))
    assert [hit["event"]["id"] for hit in results] == [pk for pk in sightings["kit"] if pk != probe]


def test_the_cut_off_and_the_limit(client, admin_user, sightings):
    client.force_login(admin_user)
    everyone = found(client.post(URL, {"photo": photo_file("enroll/obama/1.jpg"), "min_score": 0.0}))
    assert len(everyone) == len(SIGHTINGS)
    body = client.post(URL, {"photo": photo_file("enroll/obama/1.jpg"), "min_score": 0.0, "limit": 2}).json()
    assert len(body["results"]) == 2 and body["truncated"] is True
    assert found(client.post(URL, {"photo": photo_file("enroll/obama/1.jpg"), "min_score": 0.99})) == []


def test_refusals(client, admin_user, django_user_model, sightings):
    assert client.post(URL, {"event": sightings["obama"][0]}).status_code in (401, 403)
    clerk = django_user_model.objects.create_user("clerk", password="correct horse battery")
    client.force_login(clerk)
    assert client.post(URL, {"event": sightings["obama"][0]}).status_code == 403
    client.force_login(admin_user)
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), (90, 90, 90)).save(blank, "PNG")
    blank.name = "blank.png"
    blank.seek(0)
    refused = client.post(URL, {"photo": blank})
    assert refused.status_code == 400 and refused.json() == {"photo": ["No face found in the picture."]}
    assert client.post(URL, {}).status_code == 400
    assert client.post(URL, {"event": 10**9}, content_type="application/json").status_code == 404


def test_in_the_openapi_schema(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["post"]
    assert operation["operationId"] == "search_face"
    assert "multipart/form-data" in operation["requestBody"]["content"]


def test_the_console_page_from_a_photo_and_from_an_event(client, admin_user, sightings):
    client.force_login(admin_user)
    probe = sightings["obama"][0]
    detail = client.get(f"/events/{probe}/").content.decode()
    assert f'/faces/search/?event={probe}' in detail
    page = client.get("/faces/search/", {"event": probe})
    shown = [int(pk) for pk in page.content.decode().split('data-event-id="')[1:] for pk in [pk.split('"')[0]]]
    assert sorted(shown) == sorted(pk for pk in sightings["obama"] if pk != probe)
    uploaded = client.post("/faces/search/", {"photo": photo_file("enroll/biden/1.jpg")})
    assert uploaded.status_code == 200 and f'data-event-id="{sightings["biden"][0]}"' in uploaded.content.decode()
    assert f'data-event-id="{sightings["obama"][0]}"' not in uploaded.content.decode()
    chinese = client.post("/faces/search/", {"photo": photo_file("enroll/biden/1.jpg")}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "按人脸搜索" in chinese.content.decode()


def test_the_index_trained_saved_and_loaded_gives_the_same_answers(sightings, monkeypatch):
    monkeypatch.setattr(face_index, "SETTLE", face_index.timedelta(0))
    monkeypatch.setattr(face_index, "IVF_FROM", 2)
    built = FaceIndex(current_model(), 128)
    assert built.catch_up() == len(SIGHTINGS) and built.compact() and not built.is_exact()
    path = face_index.index_path()
    built.save(path)
    loaded = FaceIndex(current_model(), 128)
    assert loaded.load(path) and loaded.high_water == built.high_water and loaded.catch_up() == 0
    probe = picture_embedding((FACES / "enroll/obama/1.jpg").read_bytes())
    nearest = [event_id for event_id, _ in loaded.search(probe, 3)]
    assert sorted(nearest) == sorted(sightings["obama"])
    assert np.isclose(loaded.search(probe, 1)[0][1], built.search(probe, 1)[0][1])
