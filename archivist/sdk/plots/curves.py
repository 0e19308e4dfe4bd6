"""W&B's ``wandb.plot.pr_curve`` and ``wandb.plot.roc_curve``: one curve per class (that
class against the rest), computed as W&B does with scikit-learn but in plain Python
(``archivist.sdk.plots.classifier_curves``), values rounded to 3 decimals.

``y_probas`` holds one row per sample and one column per class, the columns in the sorted
order of the classes ``y_true`` holds. Integer classes are named by ``labels[class]``.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.plots.classifier_curves import linspace, numpy_round, precision_recall_points, roc_points
from archivist.sdk.plots.custom_chart import CustomChart, plot_table
from archivist.sdk.plots.plain_values import plain_list
from archivist.sdk.termlog import termwarn


def _class_scores(y_true: Any, y_probas: Any) -> tuple[list[Any], list[Any], list[list[float]]]:
    """The labels, the sorted classes, and one score column per class."""
    if y_true is None or y_probas is None:
        raise InvalidInputError("y_true and y_probas are required")
    truth = plain_list(y_true, "y_true")
    rows = [plain_list(row, f"y_probas[{i}]") for i, row in enumerate(plain_list(y_probas, "y_probas"))]
    if len(rows) != len(truth):
        raise InvalidInputError(f"y_true has {len(truth)} labels but y_probas has {len(rows)} rows")
    classes = sorted(set(truth))
    short = [i for i, row in enumerate(rows) if len(row) < len(classes)]
    if short:
        raise InvalidInputError(
            f"y_probas[{short[0]}] has {len(rows[short[0]])} scores; y_true holds {len(classes)} classes "
            "and each row needs one score per class"
        )
    columns = [[row[c] for row in rows] for c in range(len(classes))]
    return truth, classes, columns


def _plotted(classes: list[Any], classes_to_plot: Any, labels: Any) -> list[tuple[int, Any]]:
    """(column, name) of each class drawn: all, or those in ``classes_to_plot``."""
    wanted = None if classes_to_plot is None else plain_list(classes_to_plot, "classes_to_plot")
    names = None if labels is None else plain_list(labels, "labels")
    chosen = []
    for i, cls in enumerate(classes):
        if wanted is not None and cls not in wanted:
            continue
        name = cls
        if names is not None and isinstance(cls, int) and not isinstance(cls, bool):
            if not 0 <= cls < len(names):
                raise InvalidInputError(f"class {cls} has no name in labels (it has {len(names)})")
            name = names[cls]
        chosen.append((i, name))
    return chosen


def _limited(rows: list[list[Any]], limit: int) -> list[list[Any]]:
    """At most ``limit`` rows, every class keeping its share (W&B resamples at random)."""
    from archivist.sdk.data_types.table import Table

    if len(rows) <= limit:
        return rows
    termwarn(f"wandb uses only {Table.MAX_ROWS} data points to create the plots.")
    stride = len(rows) / limit
    return [rows[int(i * stride)] for i in range(limit)]


def pr_curve(
    y_true: Sequence[Any] | None = None,
    y_probas: Sequence[Sequence[float]] | None = None,
    labels: list[str] | None = None,
    classes_to_plot: list[Any] | None = None,
    interp_size: int = 21,
    title: str = "Precision-Recall Curve",
    split_table: bool = False,
) -> CustomChart:
    """Precision at ``interp_size`` evenly spaced recalls (1 down to 0) per class; table
    ``class``, ``precision``, ``recall``."""
    from archivist.sdk.data_types.table import Table

    truth, classes, columns = _class_scores(y_true, y_probas)
    recalls = linspace(0, 1, interp_size)[::-1]
    rows: list[list[Any]] = []
    for i, name in _plotted(classes, classes_to_plot, labels):
        precision, recall = precision_recall_points(truth, columns[i], classes[i])
        stepped = list(precision)
        for k in range(1, len(stepped)):
            stepped[k] = max(stepped[k], stepped[k - 1])
        stepped.reverse()
        ascending = recall[::-1]
        for r in recalls:
            rows.append([name, numpy_round(stepped[bisect.bisect_left(ascending, r)]), numpy_round(r)])
    return plot_table(
        data_table=Table(columns=["class", "precision", "recall"], data=_limited(rows, Table.MAX_ROWS)),
        vega_spec_name="wandb/area-under-curve/v0",
        fields={"x": "recall", "y": "precision", "class": "class"},
        string_fields={"title": title, "x-axis-title": "Recall", "y-axis-title": "Precision"},
        split_table=split_table,
    )


def roc_curve(
    y_true: Sequence[Any] | None = None,
    y_probas: Sequence[Sequence[float]] | None = None,
    labels: list[str] | None = None,
    classes_to_plot: list[Any] | None = None,
    title: str = "ROC Curve",
    split_table: bool = False,
) -> CustomChart:
    """The ROC curve of each class; table ``class``, ``fpr``, ``tpr``."""
    from archivist.sdk.data_types.table import Table

    truth, classes, columns = _class_scores(y_true, y_probas)
    rows: list[list[Any]] = []
    for i, name in _plotted(classes, classes_to_plot, labels):
        fpr, tpr = roc_points(truth, columns[i], classes[i])
        rows.extend([name, numpy_round(f), numpy_round(t)] for f, t in zip(fpr, tpr, strict=True))
    return plot_table(
        data_table=Table(columns=["class", "fpr", "tpr"], data=_limited(rows, Table.MAX_ROWS)),
        vega_spec_name="wandb/area-under-curve/v0",
        fields={"x": "fpr", "y": "tpr", "class": "class"},
        string_fields={
            "title": title,
            "x-axis-title": "False positive rate",
            "y-axis-title": "True positive rate",
        },
        split_table=split_table,
    )
