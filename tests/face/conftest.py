"""Fixtures for the face engine: the real models (built by `make setup`) and the shared photos."""
from pathlib import Path

import pytest

from edge_agent.face.engine import FaceEngine, default_model_dir
from tests.paths import FACES, IDENTITIES


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    assert FACES.is_dir(), f"shared face photos not found at {FACES} (set AIBOX_FACES_DIR)"
    return FACES


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    assert (default_model_dir() / "manifest.json").exists(), "face models missing: run `make setup`"
    return FaceEngine()


@pytest.fixture(scope="session")
def enrolled(engine, faces_dir, tmp_path_factory):
    """A gallery holding the five people of enroll/."""
    from edge_agent.face.gallery import Person

    gallery = engine.new_gallery(tmp_path_factory.mktemp("gallery") / "gallery.sqlite3")
    for identity in IDENTITIES:
        face = engine.enrol((faces_dir / "enroll" / identity / "1.jpg").read_bytes())
        gallery.upsert(Person(identity, name=identity.replace("_", " ").title(), groups=("staff",)), face.embedding)
    return gallery
