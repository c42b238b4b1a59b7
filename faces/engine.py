"""The platform's face engine: the very engine the boxes run (edge_agent.face), loaded once per
process (cloudplatform.face_engine), so an embedding the platform computes compares with one a box sent."""
from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_noop

from aibox_contract.codes import ContractCodeError
from aibox_contract.embedding import model_id
from cloudplatform.face_engine import engine, model_manifest
from edge_agent.face.decode import decode_image

LARGE_FACE_SHARE = 0.2


class NoFace(ValueError):
    """No face embedding could be had from the picture; the message says why."""


def current_model() -> str:
    """The model id embeddings are stored and searched under (aibox_contract.embedding.model_id),
    read from the models' manifest: intake records ids without loading the models."""
    return model_id(model_manifest())


def embedding_size() -> int:
    return engine().embedding_size


def picture_embedding(picture: bytes) -> np.ndarray:
    """The embedding (float32) of the picture's main face (see picture_face)."""
    return picture_face(picture)[0]


def picture_face(picture: bytes) -> tuple[np.ndarray, dict]:
    """The embedding (float32) of the picture's main face, the largest, nearest the centre, as
    the box picks the face of an enrolment photo, with its FIQA measures (`info`). NoFace says
    why there is none.

    A spot picture is usually a face crop, its face a large share of it: faces of at least
    LARGE_FACE_SHARE of the shorter side are looked for first (a short detector pyramid, several
    times faster), the whole range only when none is (a camera's full frame)."""
    face_engine = engine()
    try:
        decoded = decode_image(picture)
    except ContractCodeError as exc:
        raise NoFace(str(exc)) from exc
    large = LARGE_FACE_SHARE * min(decoded.original_size)
    analysis = face_engine.analyse(decoded, embed=False, min_face=max(large, face_engine.detector.min_face))
    if not analysis.faces:
        analysis = face_engine.analyse(decoded, embed=False)
    if not analysis.faces:
        raise NoFace(gettext_noop("No face found in the picture."))
    height, width = decoded.rgb.shape[:2]
    face = face_engine.main_face(analysis.faces, width, height)
    return np.asarray(face_engine.embedder.embed(face.chip[None])[0], dtype=np.float32), face.info


def similarity(distance: float) -> float:
    """The score a box gives a match (edge_agent.recognition.similarity): 1 - distance, in [0, 1]."""
    return round(min(1.0, max(0.0, 1.0 - distance)), 4)
