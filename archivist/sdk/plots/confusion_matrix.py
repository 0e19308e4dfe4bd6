"""W&B's ``wandb.plot.confusion_matrix``: the table ``Actual``, ``Predicted``,
``nPredictions`` (a float count per pair of classes, every pair listed) drawn as a heatmap.
Plain lists work; numpy arrays and pandas Series are read through ``tolist()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.plots.custom_chart import CustomChart, plot_table
from archivist.sdk.plots.plain_values import plain_list


def _argmax(row: Any, index: int) -> int:
    scores = plain_list(row, f"probs[{index}]")
    if not scores:
        raise InvalidInputError(f"probs[{index}] is empty: each row holds one probability per class")
    return max(range(len(scores)), key=scores.__getitem__)  # the first maximum, as numpy's argmax


def confusion_matrix(
    probs: Sequence[Sequence[float]] | None = None,
    y_true: Sequence[Any] | None = None,
    preds: Sequence[Any] | None = None,
    class_names: Sequence[str] | None = None,
    title: str = "Confusion Matrix Curve",
    split_table: bool = False,
) -> CustomChart:
    """Counts of (true class, predicted class) from ``preds`` or from ``probs`` (argmax per row).
    Without ``class_names`` the classes are the sorted labels seen, named ``Class_1``, ...;
    with them, labels are the indices ``0 .. len(class_names) - 1``."""
    from archivist.sdk.data_types.table import Table

    if probs is not None and preds is not None:
        raise InvalidInputError("Only one of `probs` or `preds` should be provided, not both.")
    if y_true is None:
        raise InvalidInputError("y_true is required: the true label of each sample")
    truth = plain_list(y_true, "y_true")
    if probs is not None:
        predicted = [_argmax(row, i) for i, row in enumerate(plain_list(probs, "probs"))]
    elif preds is not None:
        predicted = plain_list(preds, "preds")
    else:
        raise InvalidInputError("pass `probs` (one row of class probabilities per sample) or `preds`")
    if len(predicted) != len(truth):
        raise InvalidInputError("The number of predictions and true labels must be equal.")
    if class_names is not None:
        names = plain_list(class_names, "class_names")
        if len(set(predicted)) > len(names):
            raise InvalidInputError(
                "The number of unique predicted classes exceeds the number of class names."
            )
        if len(set(truth)) > len(names):
            raise InvalidInputError("The number of unique true labels exceeds the number of class names.")
        labels: list[Any] = list(range(len(names)))
    else:
        labels = sorted(set(predicted) | set(truth))
        names = [f"Class_{i + 1}" for i in range(len(labels))]
    position = {label: i for i, label in enumerate(sorted(labels))}
    unknown = [v for v in (*truth, *predicted) if v not in position]
    if unknown:
        raise InvalidInputError(
            f"label {unknown[0]!r} is not a class index: with class_names, labels are 0 .. {len(names) - 1}"
        )
    counts = [[0.0] * len(labels) for _ in labels]
    for actual, guess in zip(truth, predicted, strict=True):
        counts[position[actual]][position[guess]] += 1
    data = [[names[i], names[j], counts[i][j]] for i in range(len(labels)) for j in range(len(labels))]
    return plot_table(
        data_table=Table(columns=["Actual", "Predicted", "nPredictions"], data=data),
        vega_spec_name="wandb/confusion_matrix/v1",
        fields={"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"},
        string_fields={"title": title},
        split_table=split_table,
    )
