"""Several photos per person against one (issue 15 item 1): is matching with all of a person's
photos at least as accurate as with one? The figures of bench/README.md.

The shared faces (/work/shared/datasets/faces): five people with 2 to 11 labelled photos each
(enroll/, probe/, and quality/, which is Obama), the stranger, and three scenes. The code under
test is the product's: the platform judges each photo (users.quality.assess_photo, the boxes'
engine) and picks the best ones as it does for a person (users.services.choose_primary's order:
passes the gate, then the quality score); the agent enrols each through its FIQA gate (level
high; a refused photo is left out, Enroller.enrol_all) into its gallery (edge_agent.face.gallery,
several faces per person, a person matched by their nearest face).

- one photo: each person's best photo (what a stock box gets, and every box before issue 15);
- all photos: each person's best five.
Genuine trials, leave one out: each labelled photo is a probe against a gallery that holds its
person's other photos only (a person with two photos has one left: both galleries are alike),
as taken and in four harder conditions made here with Pillow (face shrunk to about 50 px, blur
radius 2.5, JPEG quality 8, brightness x0.4; the FIQA gate does not apply to probes). Impostor
trials: each person's photos (and their harder versions) against a gallery without that person,
and the stranger. Scenes: every face of the three group photos against the full gallery; a face
counts as found when it is accepted as one of the scene's people not yet found.

Figures at the box's threshold (the manifest's: euclidean 0.6) and stricter ones: TAR (genuine
accepted as the right person), FAR (impostor probes accepted as anyone), rank-1 (nearest is right,
no threshold), and the median distance of a genuine probe to its person.

    .venv/bin/python bench/gallery_photos.py
"""
from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field

from common import FACES, configure_environment
from PIL import Image, ImageEnhance, ImageFilter

PEOPLE = {
    "alex_lacamoire": ["enroll/alex_lacamoire/1.jpg", "probe/alex_lacamoire/1.jpg", "probe/alex_lacamoire/2.png"],
    "biden": ["enroll/biden/1.jpg", "probe/biden/1.jpg"],
    "kit_harington": ["enroll/kit_harington/1.jpg", "probe/kit_harington/1.jpg", "probe/kit_harington/2.jpg"],
    "obama": ["enroll/obama/1.jpg", *[f"probe/obama/{i}.jpg" for i in range(1, 6)], "quality/high_res_1080p.jpg",
              "quality/low_res_240p.jpg", "quality/partial_face_1.jpg", "quality/partial_face_2.jpg",
              "quality/rgba_32bit.png"],
    "rose_leslie": ["enroll/rose_leslie/1.jpg", "probe/rose_leslie/1.jpg"],
}
STRANGERS = ["probe/stranger/1.png"]
SCENES = {"scenes/two_people.jpg": {"biden", "obama"}, "scenes/obama_and_biden.jpg": {"biden", "obama"},
          "scenes/kit_with_rose.jpg": {"kit_harington", "rose_leslie"}}
THRESHOLDS = (0.6, 0.5, 0.45, 0.4)
MOST = 5
CONDITIONS = ("as taken", "face ~50 px", "blurred", "JPEG q8", "dark")


def _jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def conditions(data: bytes, face_size: int) -> dict[str, bytes]:
    """The probe as taken, and harder versions of it."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    shrink = min(1.0, 50 / max(face_size, 1))
    small = image.resize((max(1, int(image.width * shrink)), max(1, int(image.height * shrink))))
    variants = (data, _jpeg(small), _jpeg(image.filter(ImageFilter.GaussianBlur(2.5))), _jpeg(image, 8),
                _jpeg(ImageEnhance.Brightness(image).enhance(0.4)))
    return dict(zip(CONDITIONS, variants, strict=True))


@dataclass
class Photo:
    path: str
    data: bytes
    score: float
    passes_gate: bool
    face_size: int
    embedding: object = None  # the agent's, when its gate accepts the photo


@dataclass
class Tally:
    genuine: list = field(default_factory=list)  # (nearest is right, distance to the right person, nearest distance)
    impostor: list = field(default_factory=list)  # nearest distance of a probe whose person is not enrolled
    scene_found: dict = field(default_factory=dict)  # threshold -> faces found
    scene_false: dict = field(default_factory=dict)  # threshold -> faces accepted wrongly


def judged_photos(engine) -> dict[str, list[Photo]]:
    """Each person's photos as the platform judges them, best first (choose_primary's order)."""
    from aibox_contract.codes import ContractCodeError
    from users.quality import assess_photo

    people = {}
    for person, paths in PEOPLE.items():
        photos = []
        for path in paths:
            data = (FACES / path).read_bytes()
            verdict = assess_photo(data)
            photo = Photo(path, data, verdict.score, verdict.levels["high"]["code"] == 0, verdict.face_size or 0)
            try:
                photo.embedding = engine.enrol(data, "high").embedding
            except ContractCodeError:
                pass
            photos.append(photo)
        people[person] = sorted(photos, key=lambda p: (p.passes_gate, p.score), reverse=True)
    return people


def gallery_of(engine, people: dict[str, list[Photo]], most: int, leave_out: str = "", without: str = ""):
    """An agent's gallery: each person's best `most` photos but `leave_out`, those its gate accepts."""
    import numpy as np

    from edge_agent.face.gallery import Person

    gallery = engine.new_gallery(":memory:")
    for person, photos in people.items():
        faces = [p.embedding for p in photos if p.path != leave_out and p.embedding is not None][:most]
        if person != without and faces:
            gallery.upsert(Person(person), np.stack(faces))
    return gallery


def probe_embeddings(engine, data: bytes) -> list:
    return [face.embedding for face in engine.analyse(data).faces]


def main_face_embedding(engine, data: bytes):
    analysis = engine.analyse(data)
    if not analysis.faces:
        return None
    height, width = analysis.image.rgb.shape[:2]
    return engine.main_face(analysis.faces, width, height).embedding


def genuine_trials(engine, people, most: int, tallies: dict[str, Tally]) -> None:
    for person, photos in people.items():
        if len(photos) < 2:
            continue
        for photo in photos:
            gallery = gallery_of(engine, people, most, leave_out=photo.path)
            for condition, data in conditions(photo.data, photo.face_size).items():
                probe = main_face_embedding(engine, data)
                if probe is None:
                    tallies[condition].genuine.append((False, float("inf"), float("inf")))
                    continue
                nearest = gallery.search(probe, k=len(people))
                mine = next((m.distance for m in nearest if m.person.identity_id == person), float("inf"))
                tallies[condition].genuine.append((nearest[0].person.identity_id == person, mine, nearest[0].distance))


def impostor_trials(engine, people, most: int, tallies: dict[str, Tally]) -> None:
    for person, photos in people.items():
        gallery = gallery_of(engine, people, most, without=person)
        for photo in photos:
            for condition, data in conditions(photo.data, photo.face_size).items():
                probe = main_face_embedding(engine, data)
                if probe is not None:
                    tallies[condition].impostor.append(gallery.search(probe, k=1)[0].distance)
    full = gallery_of(engine, people, most)
    for path in STRANGERS:
        data = (FACES / path).read_bytes()
        for condition, variant in conditions(data, 272).items():
            probe = main_face_embedding(engine, variant)
            if probe is not None:
                tallies[condition].impostor.append(full.search(probe, k=1)[0].distance)


def scene_trials(engine, people, most: int, tally: Tally) -> int:
    full = gallery_of(engine, people, most)
    expected_faces = 0
    for path, present in SCENES.items():
        expected_faces += len(present)
        matches = [full.search(e, k=1)[0] for e in probe_embeddings(engine, (FACES / path).read_bytes())]
        for threshold in THRESHOLDS:
            found, accepted = set(), [m for m in matches if m.distance < threshold]
            for match in sorted(accepted, key=lambda m: m.distance):
                who = match.person.identity_id
                if who in present and who not in found:
                    found.add(who)
                else:
                    tally.scene_false[threshold] = tally.scene_false.get(threshold, 0) + 1
            tally.scene_found[threshold] = tally.scene_found.get(threshold, 0) + len(found)
    return expected_faces


def measure(engine, people, most: int) -> tuple[dict[str, Tally], Tally, int]:
    tallies = {name: Tally() for name in CONDITIONS}
    genuine_trials(engine, people, most, tallies)
    impostor_trials(engine, people, most, tallies)
    scenes = Tally()
    faces = scene_trials(engine, people, most, scenes)
    return tallies, scenes, faces


def rates(tally: Tally, threshold: float) -> tuple[float, float, float]:
    tar = sum(1 for right, mine, nearest in tally.genuine if right and nearest < threshold) / len(tally.genuine)
    far = sum(1 for distance in tally.impostor if distance < threshold) / max(1, len(tally.impostor))
    rank1 = sum(1 for right, _, _ in tally.genuine if right) / len(tally.genuine)
    return tar, far, rank1


def report(label: str, one: dict[str, Tally], every: dict[str, Tally]) -> None:
    print(f"\n{label}: TAR / FAR at each threshold, one photo → all photos")
    print(f"{'condition':<13} {'trials':>9} " + " ".join(f"{'@' + str(t):>17}" for t in THRESHOLDS)
          + f" {'rank-1':>13} {'median genuine d':>18} {'min impostor d':>16}")
    for condition in one:
        a, b = one[condition], every[condition]
        cells = []
        for threshold in THRESHOLDS:
            tar_a, far_a, _ = rates(a, threshold)
            tar_b, far_b, _ = rates(b, threshold)
            cells.append(f"{tar_a:.2f}→{tar_b:.2f}/{far_a:.2f}→{far_b:.2f}")
        rank_a, rank_b = rates(a, 0)[2], rates(b, 0)[2]
        median_a = statistics.median(m for _, m, _ in a.genuine)
        median_b = statistics.median(m for _, m, _ in b.genuine)
        closest = f"{min(a.impostor):>8.3f}→{min(b.impostor):.3f}"
        print(f"{condition:<13} {len(a.genuine):>4}+{len(a.impostor):<4} " + " ".join(f"{c:>17}" for c in cells)
              + f" {rank_a:>5.2f}→{rank_b:<5.2f} {median_a:>8.3f}→{median_b:.3f} {closest}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aibox-bench-gallery-") as var_dir:
        configure_environment(var_dir)
        os.environ["FACE_ENGINE_THREADS"] = "1"
        import django

        django.setup()  # the platform's quality judgement is a Django app's; no database is used
        from cloudplatform.face_engine import engine as platform_engine

        engine = platform_engine()
        people = judged_photos(engine)
        for person, photos in people.items():
            kept = sum(1 for p in photos if p.embedding is not None)
            print(f"{person}: {len(photos)} photos, {kept} pass the gate (high); best {photos[0].path}")
        one, scenes_one, faces = measure(engine, people, 1)
        every, scenes_every, _ = measure(engine, people, MOST)
        report("Probes (genuine + impostor trials)", one, every)
        print(f"\nScenes ({faces} known faces in 3 group photos, one unknown): found / wrongly accepted, "
              "one photo → all photos")
        for threshold in THRESHOLDS:
            found = f"{scenes_one.scene_found.get(threshold, 0)}→{scenes_every.scene_found.get(threshold, 0)}"
            wrong = f"{scenes_one.scene_false.get(threshold, 0)}→{scenes_every.scene_false.get(threshold, 0)}"
            print(f"  @{threshold}: {found} / {wrong}")


if __name__ == "__main__":
    sys.exit(main())
