"""Face detectors. Pluggable: the manifest's `detector.type` picks a class from DETECTORS.

A detector takes an RGB uint8 array and returns `Detection`s in that array's pixel
coordinates, each with five landmarks in image order: left eye, right eye, nose,
left mouth corner, right mouth corner (left = the image's left).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .runtime import new_session


@dataclass(frozen=True)
class Detection:
    box: np.ndarray  # x1, y1, x2, y2 (float)
    score: float
    landmarks: np.ndarray  # 5 x 2 (x, y)

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """Indices kept by non-maximum suppression, best first."""
    if len(boxes) == 0:
        return np.empty(0, dtype=np.int64)
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores)[::-1]
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        if method == "min":
            overlap = inter / np.minimum(area[i], area[rest])
        else:
            overlap = inter / (area[i] + area[rest] - inter)
        order = rest[overlap <= threshold]
    return np.array(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    boxes[:, 0] += w * 0.5 - side * 0.5
    boxes[:, 1] += h * 0.5 - side * 0.5
    boxes[:, 2:4] = boxes[:, 0:2] + side[:, None]
    return boxes


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0:4] += offsets * np.stack([w, h, w, h], axis=1)
    return boxes


def _normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) - 127.5) * 0.0078125


class MTCNNDetector:
    """MTCNN's three cascaded ONNX nets (P-Net proposals, R-Net refine, O-Net landmarks).

    The ONNX files (a Keras port) take images transposed, as [N, W, H, 3], values
    (x - 127.5) / 128. Work is bounded: images larger than `max_side` are detected
    on a reduced copy and the results scaled back.
    """

    def __init__(self, model_dir: Path, config: dict, threads: int = 0) -> None:
        files = config["files"]
        self.pnet = new_session(model_dir / files["pnet"], threads)
        self.rnet = new_session(model_dir / files["rnet"], threads)
        self.onet = new_session(model_dir / files["onet"], threads)
        self.min_face = float(config.get("min_face", 20))
        self.thresholds = config.get("thresholds", [0.6, 0.7, 0.9])
        self.scale_factor = float(config.get("scale_factor", 0.709))
        self.max_side = int(config.get("max_side", 960))

    def detect(self, rgb: np.ndarray, min_face: float | None = None) -> list[Detection]:
        height, width = rgb.shape[:2]
        reduce = min(1.0, self.max_side / max(height, width))
        image = Image.fromarray(rgb)
        if reduce < 1.0:
            image = image.resize((max(1, round(width * reduce)), max(1, round(height * reduce))), Image.BILINEAR)
        min_face = max(12.0, (min_face or self.min_face) * reduce)
        boxes = self._propose(image, min_face)
        if len(boxes):
            boxes = self._refine(image, boxes)
        if not len(boxes):
            return []
        boxes, points = self._output(image, boxes)
        return [
            Detection(box=box[:4] / reduce, score=float(box[4]), landmarks=pts / reduce)
            for box, pts in zip(boxes, points, strict=True)
        ]

    def _scales(self, width: int, height: int, min_face: float) -> list[float]:
        first = 12.0 / min_face
        scales, side = [], min(width, height) * first
        while side >= 12:
            scales.append(first * self.scale_factor ** len(scales))
            side *= self.scale_factor
        return scales

    def _propose(self, image: Image.Image, min_face: float) -> np.ndarray:
        width, height = image.size
        found = []
        for scale in self._scales(width, height, min_face):
            size = (math.ceil(width * scale), math.ceil(height * scale))
            pixels = _normalise(np.asarray(image.resize(size, Image.BILINEAR)))
            offsets, probs = self.pnet.run(None, {self.pnet.get_inputs()[0].name: pixels.transpose(1, 0, 2)[None]})
            offsets, probs = offsets[0].transpose(1, 0, 2), probs[0].transpose(1, 0, 2)[:, :, 1]
            rows, cols = np.nonzero(probs >= self.thresholds[0])
            if not len(rows):
                continue
            boxes = np.stack(
                [
                    np.fix((2 * cols + 1) / scale),
                    np.fix((2 * rows + 1) / scale),
                    np.fix((2 * cols + 12) / scale),
                    np.fix((2 * rows + 12) / scale),
                    probs[rows, cols],
                ],
                axis=1,
            )
            boxes = np.hstack([boxes, offsets[rows, cols]])
            found.append(boxes[_nms(boxes[:, :4], boxes[:, 4], 0.5)])
        if not found:
            return np.empty((0, 5))
        boxes = np.vstack(found)
        boxes = boxes[_nms(boxes[:, :4], boxes[:, 4], 0.7)]
        w = (boxes[:, 2] - boxes[:, 0])[:, None]
        h = (boxes[:, 3] - boxes[:, 1])[:, None]
        corrected = boxes[:, :4] + boxes[:, 5:9] * np.hstack([w, h, w, h])
        return np.fix(_square(np.hstack([corrected, boxes[:, 4:5]])))

    def _crops(self, image: Image.Image, boxes: np.ndarray, size: int) -> np.ndarray:
        crops = [
            np.asarray(image.crop((int(x1) - 1, int(y1) - 1, int(x2), int(y2))).resize((size, size), Image.BILINEAR))
            for x1, y1, x2, y2 in boxes[:, :4]
        ]
        return _normalise(np.stack(crops)).transpose(0, 2, 1, 3)

    def _refine(self, image: Image.Image, boxes: np.ndarray) -> np.ndarray:
        offsets, probs = self.rnet.run(None, {self.rnet.get_inputs()[0].name: self._crops(image, boxes, 24)})
        keep = probs[:, 1] > self.thresholds[1]
        boxes = np.hstack([boxes[keep, :4], probs[keep, 1:2]])
        offsets = offsets[keep]
        picked = _nms(boxes[:, :4], boxes[:, 4], 0.7)
        boxes = _regress(boxes[picked], offsets[picked])
        return np.fix(_square(boxes))

    def _output(self, image: Image.Image, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outputs = self.onet.run(None, {self.onet.get_inputs()[0].name: self._crops(image, boxes, 48)})
        offsets, points, probs = outputs
        keep = probs[:, 1] > self.thresholds[2]
        boxes = np.hstack([boxes[keep, :4], probs[keep, 1:2]])
        offsets, points = offsets[keep], points[keep]
        w = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
        h = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
        xs = w * points[:, 0:5] + boxes[:, 0:1] - 1
        ys = h * points[:, 5:10] + boxes[:, 1:2] - 1
        landmarks = np.stack([xs, ys], axis=2)
        boxes = _regress(boxes, offsets)
        picked = _nms(boxes[:, :4], boxes[:, 4], 0.7, method="min")
        return boxes[picked], landmarks[picked]


DETECTORS = {"mtcnn": MTCNNDetector}


def load_detector(model_dir: Path, config: dict, threads: int = 0):
    kind = config.get("type", "mtcnn")
    if kind not in DETECTORS:
        raise ValueError(f"unknown detector type {kind!r}; known: {', '.join(DETECTORS)}")
    return DETECTORS[kind](model_dir, config, threads)
