"""Reads for "wrong match" feedback: the scores of confirmed and rejected matches, per box or per
person, against the match threshold, and the threshold that would have avoided the mistakes."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .engine import engine, similarity
from .models import MatchVerdict

BIN_WIDTH = 0.05  # 20 bins over the score's [0, 1]
BINS = 20


def match_threshold() -> float:
    """The boxes' match threshold as a score (a match scores above it): the face engine's,
    which our agent runs; the contract has no per-box threshold to read."""
    return similarity(engine().threshold)


@dataclass(frozen=True)
class Suggestion:
    """The lowest threshold at which no rejected match would have been a match (a match needs a
    score above the threshold, so that is the highest rejected score), and what it costs."""

    threshold: float
    avoids: int  # rejected matches it removes (all of them)
    loses: int  # confirmed matches that would have been missed at it
    raises: bool  # above the current threshold (else the current one already avoids them)


def suggested_threshold(confirmed: list[float], rejected: list[float], current: float) -> Suggestion | None:
    if not rejected:
        return None
    threshold = max(rejected)
    loses = sum(1 for score in confirmed if score <= threshold)
    return Suggestion(round(threshold, 4), len(rejected), loses, threshold > current)


@dataclass(frozen=True)
class ScoreDistribution:
    threshold: float
    confirmed: list[float]
    rejected: list[float]
    suggestion: Suggestion | None

    def histogram(self) -> dict:
        """Counts per score bin ([0, 0.05), [0.05, 0.1), ... [0.95, 1]) for a chart."""
        def counts(scores: list[float]) -> list[int]:
            bins = [0] * BINS
            for score in scores:
                bins[min(BINS - 1, max(0, int(score / BIN_WIDTH)))] += 1
            return bins

        return {"starts": [round(i * BIN_WIDTH, 2) for i in range(BINS)], "bin_width": BIN_WIDTH,
                "confirmed": counts(self.confirmed), "rejected": counts(self.rejected)}


def match_scores(*, box_id: int | None = None, identity_id: str | None = None,
                 boxes: QuerySet | None = None) -> ScoreDistribution:
    """The verdicts' scores of one box's or one person's matches (the person the box matched),
    each list sorted, with the current threshold and the suggested one; `boxes` narrows them to
    those boxes' matches (an operator's scope)."""
    verdicts = MatchVerdict.objects.all()
    if boxes is not None:
        verdicts = verdicts.filter(box__in=boxes)
    if box_id is not None:
        verdicts = verdicts.filter(box_id=box_id)
    if identity_id is not None:
        verdicts = verdicts.filter(identity_id=identity_id)
    confirmed, rejected = [], []
    for verdict, score in verdicts.values_list("verdict", "score").order_by("score"):
        (confirmed if verdict == MatchVerdict.Verdict.CONFIRMED else rejected).append(score)
    current = match_threshold()
    return ScoreDistribution(current, confirmed, rejected, suggested_threshold(confirmed, rejected, current))
