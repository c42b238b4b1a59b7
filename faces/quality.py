"""How good a face is to show and to enrol, from its FIQA measures (the `info` of a box's FIQA
report, edge_agent.face.quality.measure): the FIQA levels it passes (0..5, edge_agent's bounds,
the ones a box's enrolment gate applies), plus up to 0.998 for sharpness (capped at 2) and face
size (capped at 300 px), so a face passing a stricter level always ranks above one that does not.
The same scale as a person's photo quality (the `photos` work, issue 15 item 1)."""
from __future__ import annotations

from aibox_contract.fiqa import FIQA_LEVELS
from edge_agent.face.quality import judge


def face_quality(info: object) -> float | None:
    """None when `info` is not a FIQA measure (a stock box's report may carry none)."""
    if not isinstance(info, dict):
        return None
    try:
        passed = sum(1 for level in FIQA_LEVELS if not judge(info, level)[1])
        sharpness, size = float(info["clarity"]), float(info["face_size"])
    except (KeyError, TypeError, ValueError):
        return None
    return round(passed + 0.499 * min(sharpness / 2.0, 1.0) + 0.499 * min(size / 300.0, 1.0), 4)


def reported_quality(box_fiqa_info: object) -> float | None:
    """The quality of an event's face as its box measured it (box_fiqa_info, a FIQA report entry)."""
    return face_quality(box_fiqa_info.get("info")) if isinstance(box_fiqa_info, dict) else None
