"""Face embeddings of events (issue 15 item 2): our agent's own vector stored as sent; a stock
box's event embedded by the platform from its spot picture, in the background (the faces Celery
task, run after intake's commit as the suite runs tasks: eagerly, published through on_commit).
Real engine, real shared photos."""
import base64
import io

import numpy as np
import pytest
from PIL import Image

from aibox_contract.embedding import FIELD, encode
from events.models import Event
from faces.engine import current_model, picture_embedding
from faces.models import FaceEmbedding
from faces.services import vector_of

from .helpers import event, record_url
from .paths import FACES

pytestmark = pytest.mark.django_db


def picture(relative: str) -> bytes:
    return (FACES / relative).read_bytes()


def post(client, box, events: list[dict], commit) -> None:
    url = record_url(client, box)
    response = commit(client.post, url, events, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["stored"] == len(events)


def test_a_stock_box_event_gets_the_embedding_of_its_spot_picture(client, make_box, commit):
    box = make_box("stock")
    post(client, box, [event("obama", 1_700_000_000_000, picture("probe/obama/3.jpg"))], commit)
    stored = FaceEmbedding.objects.get(event__box=box)
    assert stored.source == FaceEmbedding.Source.PLATFORM and stored.problem == ""
    assert stored.model == current_model()
    vector = vector_of(stored.vector)
    assert vector.shape == (128,)
    obama = picture_embedding(picture("enroll/obama/1.jpg"))
    biden = picture_embedding(picture("enroll/biden/1.jpg"))
    assert np.linalg.norm(vector - obama) < 0.6 < np.linalg.norm(vector - biden)


def test_no_face_and_no_picture_are_recorded_with_why(client, make_box, commit):
    box = make_box("stock")
    blank = io.BytesIO()
    Image.new("RGB", (320, 320), (120, 140, 160)).save(blank, "JPEG")
    post(client, box, [event("nobody", 1_700_000_000_000, blank.getvalue()),
                       event("nothing", 1_700_000_000_001)], commit)
    problems = dict(FaceEmbedding.objects.values_list("event__identity_id", "problem"))
    assert problems == {"nobody": "No face found in the picture.", "nothing": "No spot picture."}
    assert not FaceEmbedding.objects.filter(vector__isnull=False).exists()


def test_our_agents_embedding_is_stored_as_sent(client, make_box, commit):
    box = make_box("ours")
    sent = picture_embedding(picture("probe/biden/1.jpg")) + np.float32(0.001)  # not what the platform computes
    field = encode(sent, current_model())
    post(client, box, [event("biden", 1_700_000_000_000, picture("probe/biden/1.jpg"), **{FIELD: field})], commit)
    stored = FaceEmbedding.objects.get(event__box=box)
    assert stored.source == FaceEmbedding.Source.BOX
    assert bytes(stored.vector) == base64.b64decode(field["vector"])
    assert Event.objects.get(box=box).ext_data[FIELD] == field  # the event keeps what the box sent


def test_another_models_embedding_is_not_mixed_in_the_picture_is_embedded(client, make_box, commit):
    box = make_box("other-model")
    field = encode([0.5] * 128, "some other model sha256:0000000000000000")
    post(client, box, [event("biden", 1_700_000_000_000, picture("probe/biden/1.jpg"), **{FIELD: field})], commit)
    stored = FaceEmbedding.objects.get(event__box=box)
    assert stored.source == FaceEmbedding.Source.PLATFORM
    assert bytes(stored.vector) != base64.b64decode(field["vector"])


def test_intake_only_schedules_the_work(client, make_box, commit):
    """Without the commit's callbacks run, the event is stored and nothing is embedded yet."""
    box = make_box("stock")
    with commit.capture(execute=False) as callbacks:
        response = client.post(record_url(client, box), [event("obama", 1_700_000_000_000,
                                                               picture("probe/obama/4.jpg"))],
                               content_type="application/json")
    assert response.status_code == 200
    assert Event.objects.filter(box=box).count() == 1 and not FaceEmbedding.objects.exists()
    assert len(callbacks) >= 1


def test_a_picture_that_comes_with_the_history_record_is_embedded_then(client, make_box, commit):
    """A realtime report without spot_pic has no face yet; its history record brings the picture,
    and the event gets its embedding in a new row (the search index catches up by row id)."""
    box = make_box("live")
    login = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000e3"}).json()
    live = event("obama", 1_700_000_001_000)
    commit(client.post, login["realtimeAddr"], live, content_type="application/json")
    first = FaceEmbedding.objects.get(event__box=box)
    assert first.vector is None and first.problem == "No spot picture."
    record = event("obama", 1_700_000_001_000, picture("probe/obama/4.jpg"))
    commit(client.post, login["recordAddr"], [record], content_type="application/json")
    second = FaceEmbedding.objects.get(event__box=box)
    assert second.vector is not None and second.problem == "" and second.pk > first.pk


def test_a_batch_with_nothing_to_embed_queues_no_task_and_is_recorded_at_once(client, make_box, commit, monkeypatch):
    """No spot picture and no box embedding: the "no picture" rows are written at intake, in
    bulk; only events with a face to have go to the faces worker."""
    from faces import tasks

    queued = []
    monkeypatch.setattr(tasks.embed_events, "apply_async", lambda args, **options: queued.append(args))
    box = make_box("plain")
    post(client, box, [event("a", 1_700_000_000_000), event("b", 1_700_000_000_001)], commit)
    assert queued == []
    assert sorted(FaceEmbedding.objects.values_list("event__identity_id", "problem", "model")) == [
        ("a", "No spot picture.", current_model()), ("b", "No spot picture.", current_model())]
    post(client, box, [event("c", 1_700_000_000_002, picture("probe/obama/4.jpg")), event("d", 1_700_000_000_003)],
         commit)
    assert [sorted(keys) for _box, keys in queued] == [[Event.objects.get(identity_id="c").dedup_key]]
    assert FaceEmbedding.objects.get(event__identity_id="d").problem == "No spot picture."
    assert not FaceEmbedding.objects.filter(event__identity_id="c").exists()  # the worker's, here not run
