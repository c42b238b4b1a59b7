"""A face photo's quality, judged at upload by the very face engine the boxes run
(cloudplatform.face_engine: edge_agent.face), so a photo a box would refuse is flagged here,
before anything is sent, with the box's own reason.

The verdict per FIQA level is what the box's enrolment would answer (0 accepts; 40004 no face,
40009 face too small, 40006 other quality failures) with the failed metrics. The person's gate
is the level their register_type sets (Person.gate_level). The badge:
  pass – the box accepts it and nothing is near a limit;
  warn – the box accepts it, but a larger, sharper or more frontal photo would match better, or
         it holds several faces (the box takes the largest, most central one);
  fail – the box would refuse it (the reason says why);
  unknown – no face engine could judge it (the photo is kept; the box decides).
"""
from __future__ import annotations

import copy
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cloudplatform.face_engine import engine

logger = logging.getLogger(__name__)

# Strictest first, as the engine's levels (aibox_contract.fiqa.FIQA_LEVELS).
LEVEL_ORDER = ("high", "middle", "custom", "low", "no")
# The FIQA levels (contract values) as the console names them.
LEVEL_LABELS = {"high": gettext_lazy("high"), "middle": gettext_lazy("middle"), "custom": gettext_lazy("custom"),
                "low": gettext_lazy("low"), "no": gettext_lazy("no check")}
# The platform's advice, not the box's gate: margins above the high level's bounds (80 px,
# clarity 0.5, 25° of yaw or pitch) under which the photo is accepted but matches less well.
WARN_FACE_SIZE = 100
WARN_SHARPNESS = 0.8
WARN_TURN = 18.0
# Verdicts the process remembers by photo digest (a few hundred bytes each).
VERDICTS_KEPT = 512


@dataclass
class PhotoQuality:
    """The fields of PersonPhoto's verdict (users.models.PersonPhoto)."""

    assessed: bool = False
    face_count: int = 0
    face_size: int | None = None
    sharpness: float | None = None
    brightness: float | None = None
    yaw: float | None = None
    pitch: float | None = None
    roll: float | None = None
    partial: bool = False
    levels: dict = field(default_factory=dict)
    score: float = 0.0

    def fields(self) -> dict:
        return dict(self.__dict__)


def assess_photo(data: bytes, digest: str | None = None) -> PhotoQuality:
    """The photo judged by the boxes' engine at every level. A photo the engine cannot read at
    all was refused before (users.photos.check_photo); an engine that cannot start leaves the
    photo unassessed rather than refusing it (and is tried again next time).

    A verdict depends on the photo's bytes and the engine's models only, so the process keeps
    the latest ones by digest: the console judges a photo when it is chosen and again when it
    is saved, and imports and re-uploads bring photos already judged (~0.3 s of detection each).
    `digest`: the bytes' sha256 (hex), when the caller has it already."""
    digest = digest or hashlib.sha256(data).hexdigest()
    with _verdicts_lock:
        if digest in _verdicts:
            _verdicts.move_to_end(digest)
            return copy.deepcopy(_verdicts[digest])
    verdict = _judge(data)
    if verdict.assessed:
        with _verdicts_lock:
            _verdicts[digest] = copy.deepcopy(verdict)
            while len(_verdicts) > VERDICTS_KEPT:
                _verdicts.popitem(last=False)
    return verdict


_verdicts: OrderedDict[str, PhotoQuality] = OrderedDict()
_verdicts_lock = threading.Lock()


def _judge(data: bytes) -> PhotoQuality:
    try:
        assessment = engine().assess(data)
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        logger.warning("photo not assessed: %s", exc)
        return PhotoQuality()
    levels = {level: {"code": v.code, "fails": list(v.fails)} for level, v in assessment.verdicts.items()}
    face = assessment.face
    if face is None:
        return PhotoQuality(assessed=True, levels=levels)
    info, pose = face.info, face.info["headpose"]
    verdict = PhotoQuality(
        assessed=True, face_count=assessment.face_count, face_size=int(info["face_size"]),
        sharpness=float(info["clarity"]), brightness=float(info["brightness"]), yaw=float(pose["yaw_angle"]),
        pitch=float(pose["pitch_angle"]), roll=float(pose["roll_angle"]), partial=bool(info["partial"]),
        levels=levels)
    verdict.score = quality_score(verdict)
    return verdict


def quality_score(verdict: PhotoQuality) -> float:
    """How good a photo is for matching, to choose the best: the number of levels it passes
    (0..5), plus up to 0.999 in equal thirds for sharpness (capped at 2), face size (capped at
    300 px) and how frontal the head is (0 at 45° of yaw or pitch), so a photo passing a stricter
    level always ranks above one that does not, and among equals a frontal one wins."""
    passed = sum(1 for level in LEVEL_ORDER if verdict.levels.get(level, {}).get("code") == 0)
    if not passed or verdict.sharpness is None or verdict.face_size is None:
        return float(passed)
    turn = max(abs(verdict.yaw or 0), abs(verdict.pitch or 0))
    return passed + 0.333 * (min(verdict.sharpness / 2.0, 1.0) + min(verdict.face_size / 300.0, 1.0)
                             + max(0.0, 1.0 - turn / 45.0))


@dataclass(frozen=True)
class Badge:
    kind: str  # pass | warn | fail | unknown
    reason: str


def badge(photo, level: str) -> Badge:
    """The badge of a PersonPhoto (or anything with its verdict fields) at the gate `level`,
    with its reason in the active language."""
    if not photo.assessed or level not in photo.levels:
        return Badge("unknown", _("Not assessed: no face engine was available. The box will judge it."))
    verdict = photo.levels[level]
    if verdict["code"]:
        return Badge("fail", _("A box would refuse it: %(reasons)s") % {"reasons": _failures(photo, verdict["fails"])})
    warnings = _warnings(photo)
    if warnings:
        return Badge("warn", _("Accepted, but: %(warnings)s") % {"warnings": " ".join(warnings)})
    return Badge("pass", _("Good: passes the boxes' %(level)s quality level.") % {"level": level_label(level)})


def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


def _failures(photo, fails: list[str]) -> str:
    reasons = {
        "face": _("no face found."),
        "face_size": _("the face is too small (%(size)s px).") % {"size": photo.face_size},
        "headpose": _("the head is turned too far (yaw %(yaw).0f°, pitch %(pitch).0f°, roll %(roll).0f°).")
        % {"yaw": photo.yaw or 0, "pitch": photo.pitch or 0, "roll": photo.roll or 0},
        "clarity": _("the face is blurred (sharpness %(value).2f).") % {"value": photo.sharpness or 0},
        "partial": _("part of the face is outside the picture."),
        "brightness": _("the face is too dark or too bright (brightness %(value).2f).")
        % {"value": photo.brightness or 0},
    }
    return " ".join(reasons.get(name, name) for name in fails)


def _warnings(photo) -> list[str]:
    warnings = []
    if photo.face_count > 1:
        warnings.append(_("%(count)s faces: the box takes the largest, most central one.")
                        % {"count": photo.face_count})
    if photo.face_size is not None and photo.face_size < WARN_FACE_SIZE:
        warnings.append(_("small face (%(size)s px).") % {"size": photo.face_size})
    if photo.sharpness is not None and photo.sharpness < WARN_SHARPNESS:
        warnings.append(_("not quite sharp (%(value).2f).") % {"value": photo.sharpness})
    if max(abs(photo.yaw or 0), abs(photo.pitch or 0)) > WARN_TURN:
        warnings.append(_("head turned (yaw %(yaw).0f°, pitch %(pitch).0f°).")
                        % {"yaw": photo.yaw or 0, "pitch": photo.pitch or 0})
    return warnings
