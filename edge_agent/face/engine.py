"""The face pipeline: decode → detect → align → quality → embed → match.

Models come from a folder with a `manifest.json` (built by `make setup`, see
`build_models`); an operator can point AIBOX_MODELS at another folder whose
manifest names their own ONNX detector (of a registered type) or embedder. Every
file the engine loads must be pinned in the manifest's `sha256` section and match
it (`provenance`), else the engine refuses to start.

Default match threshold: euclidean distance 0.6 on dlib's 128-d descriptor, the
threshold dlib documents for its model (99.38% on LFW); a face is a person when
its nearest gallery entry is closer than that, else a stranger.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from aibox_contract.codes import FACE_TOO_SMALL, LOW_QUALITY, NO_FACE, ContractCodeError

from . import quality
from .align import align_face
from .decode import DecodedImage, decode_image
from .detector import Detection, load_detector
from .embedder import OnnxEmbedder
from .gallery import Gallery, Match
from .provenance import verify

# A source checkout (pyproject.toml beside edge_agent/) keeps its models in models/, where
# `make setup` builds them. An installed package has no such folder (its parent is
# site-packages), so there the default is ./models in the working directory.
CHECKOUT = Path(__file__).resolve().parents[2]
REPO_MODELS = CHECKOUT / "models" if (CHECKOUT / "pyproject.toml").is_file() else None
SMALLEST_DETECTABLE = 12.0  # pixels: MTCNN's input size, below which no detector pass looks
# The levels boxes enrol with (CONTRACT §3: register_type 1 high, 2 custom) and low, which looks
# for the same faces as custom: FaceEngine.assess judges these exactly as enrol does.
ENROLMENT_LEVELS = ("high", "custom", "low")


def default_model_dir() -> Path:
    """AIBOX_MODELS, else the source checkout's models/, else ./models (an installed package)."""
    return Path(os.environ.get("AIBOX_MODELS") or REPO_MODELS or "models")


@dataclass
class Face:
    detection: Detection
    chip: np.ndarray
    info: dict  # quality metrics (FIQA `info`)
    embedding: np.ndarray | None = None
    scale: float = 1.0  # decoded pixels per original pixel

    @property
    def box(self) -> list[int]:
        return [int(round(v / self.scale)) for v in self.detection.box]

    def to_dict(self) -> dict:
        return {
            "bbox": self.box,
            "score": round(self.detection.score, 4),
            "landmarks": [[round(x / self.scale, 1), round(y / self.scale, 1)] for x, y in self.detection.landmarks],
            "quality": self.info,
        }

    def fiqa(self, level: str) -> dict:
        return quality.report(self.info, self.detection, level, self.scale)


@dataclass(frozen=True)
class Verdict:
    """A photo at one FIQA level: 0 when enrol accepts it, else its contract code, the
    failed metrics (quality.judge) and the message enrol raises."""

    code: int
    fails: tuple[str, ...] = ()
    message: str = ""


def gate(face: Face | None, level: str) -> Verdict:
    """Enrolment's gate for the chosen face at `level`: 40004 no face, 40009 too small, 40006 other failures."""
    if face is None:
        return Verdict(NO_FACE, ("face",), "No face found in the photo.")
    _, fails = quality.judge(face.info, level)
    if "face_size" in fails:
        size = face.info["face_size"]
        return Verdict(FACE_TOO_SMALL, tuple(fails), f"Face of {size} px is too small for level {level}.")
    if fails:
        return Verdict(LOW_QUALITY, tuple(fails), f"Photo fails quality level {level}: {', '.join(fails)}.")
    return Verdict(0)


@dataclass
class Assessment:
    """A photo judged at every level (FaceEngine.assess): its main face (None: no face), how many
    faces it holds, and each level's verdict."""

    face: Face | None
    face_count: int
    verdicts: dict[str, Verdict]


@dataclass
class Analysis:
    image: DecodedImage
    faces: list[Face]


class FaceEngine:
    def __init__(self, model_dir: Path | None = None, threads: int = 0) -> None:
        self.model_dir = Path(model_dir or default_model_dir())
        manifest_path = self.model_dir / "manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(f"no face models in {self.model_dir} (run `make setup`, or set AIBOX_MODELS)")
        self.manifest = json.loads(manifest_path.read_text())
        self.models_sha256 = verify(self.model_dir, self.manifest)  # before any file is opened
        self.detector = load_detector(self.model_dir, self.manifest["detector"], threads)
        config = self.manifest["embedder"]
        self.embedder = OnnxEmbedder(self.model_dir, config, threads)
        self.template = np.asarray(config["alignment"]["template"], dtype=np.float64)
        self.chip_size = tuple(config["alignment"]["size"])
        self.threshold = float(config["threshold"])
        self.metric = config.get("metric", "euclidean")
        self.embedding_size = int(config["embedding_size"])
        self.model_version = config.get("name", config["file"])

    @property
    def sdk_version(self) -> str:
        """The status report's `sdk_version`: the embedder's name and the models' digest, short
        enough for the platform's 100 characters (the full digest is in /health)."""
        return f"{self.model_version[:60]} sha256:{self.models_sha256[:16]}"

    def new_gallery(self, path: str | Path) -> Gallery:
        return Gallery(path, self.embedding_size, self.metric)

    # --- stages --------------------------------------------------------------------
    def analyse(self, image: bytes | DecodedImage, embed: bool = True, min_face: float | None = None) -> Analysis:
        """Every face found, with quality and (unless `embed` is off) embeddings.
        `min_face` (pixels of the original image) overrides the manifest's smallest face."""
        decoded = image if isinstance(image, DecodedImage) else decode_image(image)
        min_face = None if min_face is None else min_face * decoded.scale
        detections = self.detector.detect(decoded.rgb, min_face)
        pil = Image.fromarray(decoded.rgb)
        faces = []
        for detection in detections:
            chip = align_face(pil, detection.landmarks, self.template, self.chip_size)
            info = quality.measure(decoded.rgb, detection, chip, decoded.scale)
            faces.append(Face(detection, chip, info, scale=decoded.scale))
        if embed and faces:
            vectors = self.embedder.embed(np.stack([face.chip for face in faces]))
            for face, vector in zip(faces, vectors, strict=True):
                face.embedding = vector
        return Analysis(decoded, faces)

    @staticmethod
    def main_face(faces: list[Face], width: int, height: int) -> Face:
        """The enrolment subject: the largest face, preferring the one nearest the centre."""
        centre = np.array([width / 2, height / 2])
        diagonal = float(np.hypot(width, height))

        def weight(face: Face) -> float:
            box = face.detection.box
            middle = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
            offset = float(np.linalg.norm(middle - centre)) / diagonal  # 0 .. 0.5
            return face.detection.width * face.detection.height * (1.0 - offset)

        return max(faces, key=weight)

    # --- uses ----------------------------------------------------------------------
    def enrol(self, image: bytes | DecodedImage, level: str = quality.DEFAULT_LEVEL) -> Face:
        """The main face's embedding, if it passes `level`; else the contract's code:
        40004 no face, 40009 face too small, 40006 any other quality failure."""
        face, verdict = self._gated_face(image, level, {})
        if verdict.code:
            raise ContractCodeError(verdict.code, verdict.message)
        face.embedding = self.embedder.embed(face.chip[None])[0]
        return face

    def assess(self, image: bytes | DecodedImage) -> Assessment:
        """What enrol would answer at every FIQA level (the code, 0 passes, and why), and the
        photo's main face as the strictest level sees it. At the levels boxes enrol with (high,
        custom; low looks for the same faces as custom) the face is found exactly as enrol finds
        it, the same detector passes; middle and no reuse the custom pass (a face found from 40 px
        up) instead of a pass of their own, which costs half as much again for levels no
        enrolment uses."""
        analyses: dict[float | None, Analysis] = {}
        chosen = {level: self._gated_face(image, level, analyses) for level in ENROLMENT_LEVELS}
        for level in quality.LEVELS:
            if level not in chosen:
                chosen[level] = self._gated_face(image, level, analyses, reuse=analyses[self._smallest("custom")])
        main = next((face for face, _ in chosen.values() if face is not None), None)
        count = max(len(analysis.faces) for analysis in analyses.values())
        return Assessment(main, count, {level: chosen[level][1] for level in quality.LEVELS})

    def _smallest(self, level: str) -> float | None:
        """The smallest face (original pixels) enrol looks for at `level`: none smaller could pass."""
        bounds = quality.LEVELS[level]
        return max(self.detector.min_face, 0.8 * bounds["face_size"]) if bounds else None

    def _gated_face(self, image: bytes | DecodedImage, level: str, analyses: dict,
                    reuse: Analysis | None = None) -> tuple[Face | None, Verdict]:
        """Enrolment's choice at `level`: the main face and the gate's verdict on it. Faces
        smaller than the level allows would fail anyway; not looking for them saves most of the
        work. When none of a usable size is found, it looks for any face at all, so a face too
        small answers 40009 rather than "no face" (a full search, on failures only). `analyses`
        keeps each detector pass by its smallest face, for the next level; `reuse` is a pass to
        take instead of this level's own."""
        smallest = self._smallest(level)
        analysis = reuse or self._analysis(image, smallest, analyses)
        if not analysis.faces and smallest is not None:
            analysis = self._analysis(analysis.image, SMALLEST_DETECTABLE, analyses)
        if not analysis.faces:
            return None, gate(None, level)
        height, width = analysis.image.rgb.shape[:2]
        face = self.main_face(analysis.faces, width, height)
        return face, gate(face, level)

    def _analysis(self, image: bytes | DecodedImage, min_face: float | None, analyses: dict) -> Analysis:
        if min_face not in analyses:
            decoded = next(iter(analyses.values())).image if analyses else image
            analyses[min_face] = self.analyse(decoded, embed=False, min_face=min_face)
        return analyses[min_face]

    def identify(
        self, image: bytes | DecodedImage, gallery: Gallery, groups=None, threshold: float | None = None
    ) -> list[tuple[Face, Match | None]]:
        """Every face in the image with its best match closer than the threshold, or None (a stranger)."""
        limit = self.threshold if threshold is None else threshold
        results = []
        for face in self.analyse(image).faces:
            best = gallery.search(face.embedding, k=1, groups=groups)
            match = best[0] if best and best[0].distance < limit else None
            results.append((face, match))
        return results

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        if self.metric == "cosine":
            return float(1.0 - (a @ b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
        return float(np.linalg.norm(a - b))
