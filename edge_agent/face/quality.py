"""Face image quality assessment (FIQA), reported as upstream §5.3 describes.

Every metric is computed from the image and the five landmarks, no extra model:

- brightness: mean luma (ITU-R BT.601) of the face box, 0 (black) .. 1 (white).
- clarity: standard deviation of the Laplacian of the aligned 150x150 grey chip's
  inner part, divided by 10, so a sharp, well-sized face scores about 1..3 and a
  blurred or upscaled tiny face well under 0.3. The chip is the embedder's input,
  so this measures the detail the recogniser actually gets.
- face_size: the shorter side of the face box, in pixels of the original image.
- headpose (degrees), from landmark geometry with roll removed first:
  roll = angle of the eye line; yaw = atan(d / 0.47) where d is the nose's sideways
  offset from the eyes' midpoint in eye distances (0.47 = nose depth / eye
  distance of an average head); pitch = atan((0.555 - r) * 2.33) where r is the
  nose's height between eye line and mouth line (0.555 when frontal; 2.33 = that
  span / nose depth). Positive yaw: face turned to the image's right; positive
  pitch: face tilted up. Good to about ±10° for |angles| under 45°.
- partial: a landmark lies outside the image, or the face's extent estimated from the
  landmarks (cheeks, forehead, chin) crosses an edge of the image.
- occlusion and mask: no model for them is installed. They keep upstream's types (a
  list of three booleans, a float) with the values of upstream's passing example
  ([true, true, true], 0.0) and are named in the report's extra `unassessed` field,
  never in `success` or `fails`; no level requires them (docs/contract-extensions.md).

Levels (`fiqa_level`), strictest first. A face passes a level when every
assessed metric is within that level's bounds:

| level  | face_size | brightness  | clarity | abs yaw/pitch/roll | partial |
| high   | >= 80     | 0.25..0.90  | >= 0.5  | 25 / 25 / 20       | no      |
| middle | >= 60     | 0.20..0.92  | >= 0.35 | 30 / 30 / 25       | no      |
| custom | >= 40     | 0.15..0.95  | >= 0.25 | 40 / 35 / 30       | no      |
| low    | >= 24     | 0.08..0.98  | >= 0.1  | 60 / 50 / 45       | allowed |
| no     | any       | any         | any     | any                | allowed |

`high` gates regular enrolment, `custom` the enrolment of strangers (upstream
register_type 1 and 2).
"""
from __future__ import annotations

import math

import numpy as np

from aibox_contract.fiqa import FIQA_LEVELS

from .detector import Detection

LEVELS: dict[str, dict] = {
    "high": {"face_size": 80, "brightness": (0.25, 0.90), "clarity": 0.5, "pose": (25, 25, 20), "partial": False},
    "middle": {"face_size": 60, "brightness": (0.20, 0.92), "clarity": 0.35, "pose": (30, 30, 25), "partial": False},
    "custom": {"face_size": 40, "brightness": (0.15, 0.95), "clarity": 0.25, "pose": (40, 35, 30), "partial": False},
    "low": {"face_size": 24, "brightness": (0.08, 0.98), "clarity": 0.1, "pose": (60, 50, 45), "partial": True},
    "no": None,
}
assert tuple(LEVELS) == FIQA_LEVELS, "one bound per contract level, in the contract's order"
DEFAULT_LEVEL = "high"
UNASSESSED = ["occlusion", "mask"]
UNASSESSED_OCCLUSION, UNASSESSED_MASK = (True, True, True), 0.0


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def brightness(rgb: np.ndarray, box: np.ndarray) -> float:
    height, width = rgb.shape[:2]
    x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
    x2, y2 = min(width, int(math.ceil(box[2]))), min(height, int(math.ceil(box[3])))
    if x2 <= x1 or y2 <= y1:
        return 0.0
    return float(_luma(rgb[y1:y2, x1:x2].astype(np.float32)).mean() / 255.0)


def clarity(chip: np.ndarray) -> float:
    grey = _luma(chip.astype(np.float32))
    h, w = grey.shape
    inner = grey[h // 6 : h - h // 6, w // 6 : w - w // 6]
    laplacian = (
        4 * inner[1:-1, 1:-1] - inner[:-2, 1:-1] - inner[2:, 1:-1] - inner[1:-1, :-2] - inner[1:-1, 2:]
    )
    return float(laplacian.std() / 10.0)


def head_pose(landmarks: np.ndarray) -> dict[str, float]:
    left_eye, right_eye, nose, mouth_left, mouth_right = np.asarray(landmarks, dtype=np.float64)
    eye_vector = right_eye - left_eye
    roll = math.atan2(eye_vector[1], eye_vector[0])
    cos, sin = math.cos(-roll), math.sin(-roll)
    rotation = np.array([[cos, -sin], [sin, cos]])
    eyes_mid = (left_eye + right_eye) / 2
    nose_r = rotation @ (nose - eyes_mid)
    mouth_r = rotation @ ((mouth_left + mouth_right) / 2 - eyes_mid)
    eye_distance = max(np.linalg.norm(eye_vector), 1e-6)
    yaw = math.degrees(math.atan((nose_r[0] / eye_distance) / 0.47))
    span = mouth_r[1] if abs(mouth_r[1]) > 1e-6 else 1e-6
    pitch = math.degrees(math.atan((0.555 - nose_r[1] / span) * 2.33))
    return {"pitch_angle": round(pitch, 2), "roll_angle": round(math.degrees(roll), 2), "yaw_angle": round(yaw, 2)}


def is_partial(detection: Detection, width: int, height: int) -> bool:
    """Part of the face lies outside the image: a landmark outside, or the face's extent,
    estimated from the landmarks (cheeks 1.2 eye distances either side of the eyes'
    midpoint, forehead 1.0 above the eyes, chin 0.7 below the mouth), crosses an edge."""
    points = np.asarray(detection.landmarks, dtype=np.float64)
    if ((points < 0) | (points >= [width, height])).any():
        return True
    left_eye, right_eye, _, mouth_left, mouth_right = points
    eye_distance = float(np.linalg.norm(right_eye - left_eye))
    middle = (left_eye + right_eye) / 2
    mouth = (mouth_left + mouth_right) / 2
    return bool(
        middle[0] - 1.2 * eye_distance < 0
        or middle[0] + 1.2 * eye_distance > width
        or middle[1] - 1.0 * eye_distance < 0
        or mouth[1] + 0.7 * eye_distance > height
    )


def measure(rgb: np.ndarray, detection: Detection, chip: np.ndarray, scale: float = 1.0) -> dict:
    """The `info` part of the report; `scale` converts rgb pixels back to original ones."""
    height, width = rgb.shape[:2]
    return {
        "brightness": round(brightness(rgb, detection.box), 4),
        "clarity": round(clarity(chip), 4),
        "face_size": int(round(min(detection.width, detection.height) / scale)),
        "headpose": head_pose(detection.landmarks),
        "partial": is_partial(detection, width, height),
        # Not assessed (see `unassessed`): upstream's types, its passing example's values.
        "occlusion": list(UNASSESSED_OCCLUSION),
        "mask": UNASSESSED_MASK,
    }


def judge(info: dict, level: str) -> tuple[list[str], list[str]]:
    """(passed metrics, failed metrics) at `level`."""
    if level not in LEVELS:
        raise ValueError(f"unknown fiqa_level {level!r}; one of {', '.join(LEVELS)}")
    bounds = LEVELS[level]
    assessed = ["face_size", "headpose", "clarity", "partial", "brightness"]
    if bounds is None:
        return assessed, []
    pose = info["headpose"]
    checks = {
        "face_size": info["face_size"] >= bounds["face_size"],
        "headpose": abs(pose["yaw_angle"]) <= bounds["pose"][0]
        and abs(pose["pitch_angle"]) <= bounds["pose"][1]
        and abs(pose["roll_angle"]) <= bounds["pose"][2],
        "clarity": info["clarity"] >= bounds["clarity"],
        "partial": bounds["partial"] or not info["partial"],
        "brightness": bounds["brightness"][0] <= info["brightness"] <= bounds["brightness"][1],
    }
    return [name for name in assessed if checks[name]], [name for name in assessed if not checks[name]]


def report(info: dict, detection: Detection, level: str, scale: float = 1.0) -> dict:
    """One face's entry of the FIQA report (upstream §5.3 `result.data[]`)."""
    success, fails = judge(info, level)
    return {
        "bbox": [int(round(v / scale)) for v in detection.box],
        "score": round(detection.score, 4),
        "fiqa_result": not fails,
        "fiqa_level": level,
        "success": success,
        "fails": fails,
        "info": info,
        "unassessed": UNASSESSED,
    }
