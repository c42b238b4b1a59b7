"""Our agent sends each event's face embedding (ext_data.face_embedding, docs/contract-extensions.md)
and the platform stores it as sent, without computing it again: the real agent, the real platform
(ASGI under uvicorn), the real broker and engine."""
import base64

import numpy as np

from aibox_contract.embedding import FIELD
from events.models import Event
from faces.engine import current_model, picture_embedding
from faces.models import FaceEmbedding
from faces.services import vector_of

from .helpers import push, wait_for
from .paths import FACES


def test_the_agents_embedding_is_stored_as_sent(start_agent, box):
    agent = start_agent()
    photo = FACES / "probe" / "stranger" / "1.png"
    push(agent, photo)
    wait_for(lambda: FaceEmbedding.objects.filter(event__box=box).exists(), timeout=10)
    event = Event.objects.get(box=box)
    sent = event.ext_data[FIELD]
    assert sent["model"] == current_model()
    stored = FaceEmbedding.objects.get(event=event)
    assert stored.source == FaceEmbedding.Source.BOX and stored.model == current_model()
    assert bytes(stored.vector) == base64.b64decode(sent["vector"])
    # The same engine on both sides: what the platform computes from the photo is the same face,
    # far nearer than two photos of one person are (0.39 apart at the median, bench/README.md);
    # not identical, as the platform looks for large faces first (another detector pyramid).
    assert np.linalg.norm(vector_of(stored.vector) - picture_embedding(photo.read_bytes())) < 0.1
