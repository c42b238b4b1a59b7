"""Model provenance: every file the engine loads is pinned by sha256 in `manifest.json`
and checked at load, so a tampered, truncated or swapped model is refused, never run.

The models' digest (reported as the status report's `sdk_version`) is the sha256 of the
pinned files' `sha256sum` listing sorted by name, i.e. what
`cd models && sha256sum dlib_resnet_v1.onnx onet.onnx pnet.onnx rnet.onnx | sha256sum` prints.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


class ModelIntegrityError(RuntimeError):
    """A model file is missing, unpinned, or not the one the manifest pins."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def loaded_files(manifest: dict) -> list[str]:
    """The files the engine opens: the detector's (`file` or `files`) and the embedder's."""
    names: list[str] = []
    for section in (manifest["detector"], manifest["embedder"]):
        if "files" in section:
            names.extend(section["files"].values())
        if "file" in section:
            names.append(section["file"])
    return names


def verify(model_dir: Path, manifest: dict) -> str:
    """Check every pinned file and that every loaded file is pinned; the models' digest."""
    pinned: dict[str, str] = manifest.get("sha256") or {}
    unpinned = sorted(set(loaded_files(manifest)) - set(pinned))
    if unpinned:
        raise ModelIntegrityError(
            f"model file(s) {', '.join(str(model_dir / n) for n in unpinned)} not pinned in "
            f"{model_dir / 'manifest.json'} (its \"sha256\" section): refusing to load them")
    for name, expected in sorted(pinned.items()):
        path = model_dir / name
        actual = file_sha256(path) if path.is_file() else "missing"
        if actual != expected:
            raise ModelIntegrityError(
                f"model file {path}: expected sha256 {expected}, actual {actual}: refusing to load it")
    return models_digest(pinned)


def models_digest(pinned: dict[str, str]) -> str:
    listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(pinned.items()))
    return hashlib.sha256(listing.encode()).hexdigest()
