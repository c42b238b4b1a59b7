"""`python -m edge_agent.face bench`: where the time goes, against dlib's own pipeline.

Pinned to one CPU core (unless --all-cores), ONNX Runtime with one thread, dlib
(from `dlib-bin`) in the same process on the same images: HOG detector with one
upsampling (face_recognition's default), 5-point shape predictor, ResNet descriptor.
"""
from __future__ import annotations

import io
import os
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def one_face_vga(images: Path) -> bytes:
    """A 640x480 JPEG with one face: a shared probe photo fitted onto a grey canvas."""
    photo = Image.open(images / "probe/obama/1.jpg").convert("RGB")
    canvas = Image.new("RGB", (640, 480), (96, 96, 96))
    fitted = photo.resize((round(photo.width * 480 / photo.height), 480), Image.BILINEAR)
    canvas.paste(fitted, ((640 - fitted.width) // 2, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _bench_search(engine, size: int) -> None:
    """Load and search times over a synthetic gallery of `size` people."""
    from .gallery import Gallery, Person

    print(f"\nsearch over a synthetic gallery of {size} people:")
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(size, engine.embedding_size)).astype(np.float32) * 0.12
    gallery = Gallery(":memory:", engine.embedding_size, engine.metric)
    start = time.perf_counter()
    gallery.upsert_many((Person(f"p{i}"), vectors[i]) for i in range(size))
    print(f"  load     {(time.perf_counter() - start) * 1000:8.1f} ms")
    query = vectors[123] + 0.01
    search = _median_ms(lambda: gallery.search(query, k=5), 200)
    print(f"  search   {search:8.2f} ms median (top-5)")
    matrix_mb = gallery._matrix.nbytes / 2**20
    print(f"  matrix   {matrix_mb:8.1f} MiB float32")


def run_bench(args) -> None:
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from .decode import decode_image
    from .engine import FaceEngine

    engine = FaceEngine(args.models, threads=1)
    images: Path = args.images
    photos = sorted(p for p in (images / "probe").rglob("*") if p.is_file())
    vga = one_face_vga(images)
    print(f"models: {engine.model_dir} ({engine.model_version}); cores: {len(os.sched_getaffinity(0))}")

    print("\nper stage, median ms, one-face 640x480 JPEG:")
    decoded = decode_image(vga)
    stages = {
        "decode": lambda: decode_image(vga),
        "detect": lambda: engine.detector.detect(decoded.rgb),
    }
    detection = engine.detector.detect(decoded.rgb)[0]
    pil = Image.fromarray(decoded.rgb)
    from .align import align_face

    stages["align"] = lambda: align_face(pil, detection.landmarks, engine.template, engine.chip_size)
    chip = align_face(pil, detection.landmarks, engine.template, engine.chip_size)
    stages["embed"] = lambda: engine.embedder.embed(chip[None])
    for name, fn in stages.items():
        print(f"  {name:8s} {_median_ms(fn, args.repeat * 4):8.2f}")
    ours_vga = _median_ms(lambda: engine.analyse(vga), args.repeat * 4)
    print(f"  {'full':8s} {ours_vga:8.2f}  (decode+detect+align+quality+embed)")

    _bench_search(engine, args.gallery_size)

    enrol_photos = sorted(p for p in (images / "enroll").rglob("*") if p.is_file())
    enrol_times = [_median_ms(lambda p=p: engine.enrol(p.read_bytes()), args.repeat) for p in enrol_photos]
    print(f"\nenrolment of one photo: median {statistics.median(enrol_times):.1f} ms, max {max(enrol_times):.1f} ms"
          f" ({len(enrol_photos)} photos, read+decode+detect+quality+embed)")

    ours_all = [_median_ms(lambda p=p: engine.analyse(p.read_bytes()), args.repeat) for p in photos]
    print(f"shared probe photos ({len(photos)}), full pipeline: median {statistics.median(ours_all):.1f} ms")

    dlib_vga, dlib_all = _dlib_reference(engine.model_dir, vga, photos, args.repeat)
    if dlib_vga is None:
        print("\ndlib reference: dlib or its model files are not installed (pip install dlib-bin; make setup)")
        return
    print("\ndlib reference pipeline (HOG detector, upsample 1; 5-point predictor; ResNet descriptor):")
    print(f"  640x480 one face: {dlib_vga:.1f} ms;  shared probe photos: median {statistics.median(dlib_all):.1f} ms")
    print(f"\nratio ours/dlib, full pipeline, 640x480 one face: {ours_vga / dlib_vga:.2f}")
    print(f"ratio ours/dlib, full pipeline, shared probe photos (median): "
          f"{statistics.median(ours_all) / statistics.median(dlib_all):.2f}")


def _dlib_reference(model_dir: Path, vga: bytes, photos: list[Path], repeat: int):
    try:
        import dlib
    except ImportError:
        return None, None
    predictor_path = model_dir / "shape_predictor_5_face_landmarks.dat"
    resnet_path = model_dir / "dlib_face_recognition_resnet_model_v1.dat"
    if not (predictor_path.exists() and resnet_path.exists()):
        return None, None
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(predictor_path))
    recogniser = dlib.face_recognition_model_v1(str(resnet_path))

    def pipeline(data: bytes):
        rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        return [recogniser.compute_face_descriptor(rgb, predictor(rgb, box)) for box in detector(rgb, 1)]

    vga_ms = _median_ms(lambda: pipeline(vga), repeat * 2)
    all_ms = [_median_ms(lambda p=p: pipeline(p.read_bytes()), repeat) for p in photos]
    return vga_ms, all_ms
