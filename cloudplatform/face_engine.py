"""The boxes' face engine (edge_agent.face), loaded once per process for every app that needs it:
the people registry judges a photo's quality with it at upload (users/quality.py), faces/ embeds
pictures with it. Here, at the bottom of the platform's layers, so both can reach the one copy."""
from __future__ import annotations

import functools
import json
import threading

from django.conf import settings

from edge_agent.face.engine import FaceEngine, default_model_dir

_lock = threading.Lock()
_engine: FaceEngine | None = None


def engine() -> FaceEngine:
    global _engine
    with _lock:
        if _engine is None:
            _engine = FaceEngine(threads=settings.FACE_ENGINE_THREADS)
        return _engine


@functools.cache
def model_manifest() -> dict:
    """The models' manifest, read without loading the models (what a process that only names
    the model needs)."""
    return json.loads((default_model_dir() / "manifest.json").read_text())
