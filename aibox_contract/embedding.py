"""The face embedding an event carries (our extension, docs/contract-extensions.md):
`ext_data.face_embedding = {"model": ..., "vector": base64 of little-endian float32}`.

`model` names the embedder and its file's digest, so the platform uses a box's vector only when
it was computed by the very model the platform runs; any other vector is ignored and the
embedding is computed again from the spot picture.
"""
from __future__ import annotations

import base64
import binascii
import sys
from array import array
from collections.abc import Sequence

FIELD = "face_embedding"


class EmbeddingRefused(ValueError):
    """The field is not an embedding we read; the message says why."""


def model_id(manifest: dict) -> str:
    """`<embedder name> sha256:<first 16 hex of its file>`, from a face model manifest."""
    embedder = manifest["embedder"]
    digest = manifest.get("sha256", {}).get(embedder["file"], "")
    return f"{embedder.get('name', embedder['file'])} sha256:{digest[:16]}"


def encode(values: Sequence[float], model: str) -> dict:
    """The field's value for an embedding (any sequence of floats, a NumPy array included)."""
    floats = array("f", (float(value) for value in values))
    if sys.byteorder != "little":
        floats.byteswap()
    return {"model": model, "vector": base64.b64encode(floats.tobytes()).decode("ascii")}


def decode(field: object, size: int) -> tuple[str, bytes]:
    """(model, little-endian float32 bytes) of a received field holding `size` values."""
    if not isinstance(field, dict) or not isinstance(field.get("model"), str) \
            or not isinstance(field.get("vector"), str):
        raise EmbeddingRefused("face_embedding must be an object with a model and a base64 vector.")
    try:
        raw = base64.b64decode(field["vector"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EmbeddingRefused("face_embedding.vector is not base64.") from exc
    if len(raw) != 4 * size:
        raise EmbeddingRefused(f"face_embedding.vector holds {len(raw) // 4} values, not {size}.")
    return field["model"], raw
