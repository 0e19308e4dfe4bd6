"""scikit-learn's ``roc_curve`` and ``precision_recall_curve`` for one class against the
rest, in plain Python (W&B's ``plot.roc_curve``/``plot.pr_curve`` call scikit-learn; here
neither it nor numpy is needed). The arithmetic is sklearn's step by step, so the points
are the same floats."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from archivist.core.errors import InvalidInputError


def counts_at_thresholds(
    y_true: Sequence[Any], scores: Sequence[float], positive: Any
) -> tuple[list[float], list[float]]:
    """False and true positives at each distinct score, highest score first
    (sklearn's ``confusion_matrix_at_thresholds`` without weights)."""
    if len(y_true) != len(scores):
        raise InvalidInputError(f"{len(y_true)} labels but {len(scores)} scores: one score per sample")
    bad = [s for s in scores if not (isinstance(s, (int, float)) and math.isfinite(s))]
    if bad:
        raise InvalidInputError(f"scores must be finite numbers; got {bad[0]!r}")
    ascending = sorted(range(len(scores)), key=scores.__getitem__)  # stable, as kind="stable"
    order = ascending[::-1]
    ordered = [float(scores[i]) for i in order]
    hits = [1.0 if y_true[i] == positive else 0.0 for i in order]
    cumulative: list[float] = []
    running = 0.0
    for hit in hits:
        running += hit
        cumulative.append(running)
    ends = [i for i in range(len(ordered) - 1) if ordered[i + 1] - ordered[i] != 0] + [len(ordered) - 1]
    tps = [cumulative[i] for i in ends]
    fps = [1 + float(i) - tp for i, tp in zip(ends, tps, strict=True)]
    return fps, tps


def _second_difference(values: list[float], j: int) -> float:
    return (values[j + 2] - values[j + 1]) - (values[j + 1] - values[j])


def roc_points(
    y_true: Sequence[Any], scores: Sequence[float], positive: Any
) -> tuple[list[float], list[float]]:
    """(false positive rates, true positive rates), intermediate collinear points dropped
    (sklearn's ``roc_curve(drop_intermediate=True)``); NaN rates when a side has no samples."""
    fps, tps = counts_at_thresholds(y_true, scores, positive)
    if len(fps) > 2:
        keep = [0]
        keep += [
            j + 1
            for j in range(len(fps) - 2)
            if _second_difference(fps, j) != 0 or _second_difference(tps, j) != 0
        ]
        keep.append(len(fps) - 1)
        fps = [fps[i] for i in keep]
        tps = [tps[i] for i in keep]
    fps = [0.0, *fps]
    tps = [0.0, *tps]
    fpr = [math.nan] * len(fps) if fps[-1] <= 0 else [f / fps[-1] for f in fps]
    tpr = [math.nan] * len(tps) if tps[-1] <= 0 else [t / tps[-1] for t in tps]
    return fpr, tpr


def precision_recall_points(
    y_true: Sequence[Any], scores: Sequence[float], positive: Any
) -> tuple[list[float], list[float]]:
    """(precision, recall) from the lowest threshold up, ending at (1, 0), as sklearn's
    ``precision_recall_curve``."""
    fps, tps = counts_at_thresholds(y_true, scores, positive)
    precision = [tp / (tp + fp) if tp + fp != 0 else 0.0 for tp, fp in zip(tps, fps, strict=True)]
    recall = [1.0] * len(tps) if tps[-1] == 0 else [tp / tps[-1] for tp in tps]
    return [*precision[::-1], 1.0], [*recall[::-1], 0.0]


def numpy_round(value: float, decimals: int = 3) -> float:
    """``numpy.round``/``DataFrame.round``: scale, round half to even, scale back."""
    if not math.isfinite(value):
        return value
    scale = 10.0**decimals
    return round(value * scale) / scale


def linspace(start: float, stop: float, num: int) -> list[float]:
    """``numpy.linspace(start, stop, num)`` (endpoint included), the same floats."""
    if num == 1:
        return [float(start)]
    step = (stop - start) / (num - 1)
    values = [i * step + start for i in range(num)]
    values[-1] = float(stop)
    return values
