"""The converted ONNX embedder computes dlib's own descriptor."""
import numpy as np
import pytest

dlib = pytest.importorskip("dlib", reason="dlib-bin is a dev requirement; make setup installs it")


def test_onnx_descriptor_equals_dlib_on_the_same_chip(engine, faces_dir):
    model_dir = engine.model_dir
    recogniser = dlib.face_recognition_model_v1(str(model_dir / "dlib_face_recognition_resnet_model_v1.dat"))
    photos = sorted((faces_dir / "enroll").rglob("*.jpg")) + sorted((faces_dir / "probe").rglob("*.jpg"))
    worst = 0.0
    for photo in photos:
        analysis = engine.analyse(photo.read_bytes())
        for face in analysis.faces:
            reference = np.array(recogniser.compute_face_descriptor(np.ascontiguousarray(face.chip)))
            worst = max(worst, float(np.abs(reference - face.embedding).max()))
    assert worst < 1e-4, f"largest difference {worst}"
