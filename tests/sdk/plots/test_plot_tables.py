"""Each ``archivist.plot`` function against the real ``wandb.plot`` (installed for the
tests; its plot functions need no run and no network): the same table (columns and every
cell), the same vega spec, fields and texts, and the same config entry once keyed. Archivist
computes PR/ROC curves without scikit-learn or numpy, from plain lists."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import wandb

import archivist
from archivist.core.errors import ArchivistError


def cells(table: Any) -> list[list[Any]]:
    """A table's rows as JSON would hold them (numpy scalars as Python values)."""
    return json.loads(json.dumps(table.data, default=lambda value: value.item()))


def assert_same_chart(theirs: Any, ours: Any, key: str = "chart") -> None:
    assert ours.table.columns == theirs.table.columns
    assert cells(ours.table) == cells(theirs.table)
    assert ours.spec.spec_name == theirs.spec.spec_name
    assert ours.spec.fields == theirs.spec.fields
    assert ours.spec.string_fields == theirs.spec.string_fields
    theirs.set_key(key)
    ours.set_key(key)
    assert ours.spec.table_key == theirs.spec.table_key
    assert ours.spec.config_key == theirs.spec.config_key
    assert ours.spec.config_value == theirs.spec.config_value


def classification(
    seed: int, samples: int, classes: int, decimals: int
) -> tuple[list[int], list[list[float]]]:
    """Labels and per-class scores; few decimals make many tied scores."""
    rng = random.Random(seed)
    y_true = [rng.randrange(classes) for _ in range(samples)]
    scores = [[round(rng.random(), decimals) for _ in range(classes)] for _ in range(samples)]
    return y_true, scores


CASES = [
    (seed, samples, classes, decimals)
    for seed, (samples, classes, decimals) in enumerate(
        [(2, 2, 6), (10, 2, 1), (57, 3, 2), (200, 4, 6), (120, 5, 1), (33, 3, 0)]
    )
]


@pytest.mark.parametrize(("seed", "samples", "classes", "decimals"), CASES)
def test_pr_and_roc_curves_are_wandbs(seed: int, samples: int, classes: int, decimals: int) -> None:
    y_true, scores = classification(seed, samples, classes, decimals)
    names = [f"class {i}" for i in range(classes)]
    for function, kwargs in [
        ("pr_curve", {}),
        ("pr_curve", {"labels": names, "interp_size": 11, "title": "PR"}),
        ("roc_curve", {}),
        ("roc_curve", {"labels": names, "classes_to_plot": [0, classes - 1]}),
    ]:
        theirs = getattr(wandb.plot, function)(np.array(y_true), np.array(scores), **kwargs)
        ours = getattr(archivist.plot, function)(y_true, scores, **kwargs)  # plain lists
        assert_same_chart(theirs, ours)
        again = getattr(archivist.plot, function)(np.array(y_true), np.array(scores), **kwargs)
        assert cells(again.table) == cells(ours.table)  # numpy input gives the same table


def test_curves_of_string_classes_are_wandbs() -> None:
    rng = random.Random(7)
    y_true = [rng.choice(["cat", "dog", "bird"]) for _ in range(40)]
    scores = [[rng.random() for _ in range(3)] for _ in range(40)]
    for function in ("pr_curve", "roc_curve"):
        theirs = getattr(wandb.plot, function)(y_true, scores, labels=["ignored"] * 3)
        ours = getattr(archivist.plot, function)(y_true, scores, labels=["ignored"] * 3)
        assert_same_chart(theirs, ours)
        assert {row[0] for row in ours.table.data} == {"cat", "dog", "bird"}


def test_confusion_matrix_is_wandbs() -> None:
    y_true, scores = classification(11, 90, 4, 3)
    names = ["lion", "tiger", "elephant", "zebra"]
    preds = [max(range(4), key=row.__getitem__) for row in scores]
    shifted_truth, shifted_preds = [t + 5 for t in y_true[:30]], [p + 5 for p in preds[:30]]
    cases = [  # (wandb's arguments, ours): numpy probabilities for W&B, plain lists for us
        ({"y_true": y_true, "probs": np.array(scores), "class_names": names}, {"probs": scores}),
        ({"y_true": y_true, "preds": preds, "class_names": names, "title": "Wildlife"}, {}),
        ({"y_true": y_true, "preds": preds}, {}),
        ({"y_true": shifted_truth, "preds": shifted_preds}, {}),  # labels that are not indices
    ]
    for theirs_kwargs, ours_kwargs in cases:
        theirs = wandb.plot.confusion_matrix(**theirs_kwargs)
        ours = archivist.plot.confusion_matrix(**{**theirs_kwargs, **ours_kwargs})
        assert_same_chart(theirs, ours)
    counts = {(a, p): n for a, p, n in ours.table.data}
    assert len(counts) == len(set(shifted_truth) | set(shifted_preds)) ** 2
    assert sum(counts.values()) == 30 and all(isinstance(n, float) for n in counts.values())


def test_presets_and_line_series_are_wandbs() -> None:
    rows = [[step, 1 / (step + 1), "train" if step % 2 else "eval"] for step in range(12)]

    def table(module: Any) -> Any:
        return module.Table(columns=["step", "loss", "split"], data=rows)

    pairs = [
        (lambda m: m.plot.line(table(m), "step", "loss", stroke="split", title="Loss")),
        (lambda m: m.plot.line(table(m), "step", "loss")),
        (lambda m: m.plot.scatter(table(m), "step", "loss", title="S")),
        (lambda m: m.plot.bar(table(m), "split", "loss", title="B", split_table=True)),
        (lambda m: m.plot.histogram(table(m), "loss", title="H")),
        (lambda m: m.plot_table("wandb/line/v0", table(m), {"x": "step", "y": "loss"}, {"title": "T"})),
        (
            lambda m: m.plot.line_series(
                [0, 1, 2, 3], [[4, 3, 2, 1], [1, 1, 2, 3]], keys=["a", "b"], title="LS", xname="epoch"
            )
        ),
        (lambda m: m.plot.line_series([[0, 1], [0, 2, 4]], [[1, 2], [3, 4, 5]])),
        (lambda m: m.plot.line_series(np.arange(3), [np.array([1.5, 2.5, 3.5])])),
    ]
    for make in pairs:
        assert_same_chart(make(wandb), make(archivist), key="eval/loss")


def test_bad_arguments_say_what_is_wrong() -> None:
    with pytest.raises(
        ArchivistError, match="Expected `data_table` to be `wandb.Table` type, instead got list"
    ):
        archivist.plot_table("wandb/line/v0", [[1, 2]], {"x": "a"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Only one of `probs` or `preds`"):
        archivist.plot.confusion_matrix(probs=[[0.1, 0.9]], preds=[1], y_true=[1])
    with pytest.raises(ValueError, match="must be equal"):
        archivist.plot.confusion_matrix(preds=[1, 0], y_true=[1])
    with pytest.raises(ValueError, match="label 'cat' is not a class index"):
        archivist.plot.confusion_matrix(preds=["cat"], y_true=["cat"], class_names=["cat", "dog"])
    with pytest.raises(ValueError, match="y_probas\\[1\\] has 1 scores; y_true holds 2 classes"):
        archivist.plot.roc_curve([0, 1], [[0.2, 0.8], [0.5]])
    with pytest.raises(ValueError, match="scores must be finite numbers; got nan"):
        archivist.plot.pr_curve([0, 1], [[0.2, 0.8], [float("nan"), 0.1]])
    with pytest.raises(ValueError, match="Number of keys \\(1\\) must match y-series \\(2\\)"):
        archivist.plot.line_series([0, 1], [[1, 2], [3, 4]], keys=["a"])
    with pytest.raises(ArchivistError, match="has no key yet"):
        _ = archivist.plot.line(archivist.Table(columns=["a", "b"]), "a", "b").spec.table_key


def test_plots_need_no_numpy() -> None:
    code = """
import sys, archivist
y, p = [0, 1, 1, 0, 2], [[.7, .2, .1], [.1, .8, .1], [.3, .3, .4], [.5, .4, .1], [.2, .2, .6]]
plot = archivist.plot
for chart in (plot.pr_curve(y, p), plot.roc_curve(y, p),
              plot.confusion_matrix(probs=p, y_true=y), plot.line_series([1, 2], [[3, 4]])):
    assert chart.table.data, chart
print(sorted(m for m in ("numpy", "pandas", "sklearn") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_curves_longer_than_a_table_holds_are_thinned_keeping_every_class(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """W&B resamples past ``Table.MAX_ROWS`` rows (at random, with scikit-learn); here the
    rows are thinned evenly, so every class keeps its share and the table its limit."""
    samples = 6_000
    y_true = [i % 2 for i in range(samples)]
    scores = [[1 - (i * 7919 % samples) / samples, (i * 7919 % samples) / samples] for i in range(samples)]
    full = [
        row
        for cls in (0, 1)
        for row in archivist.plot.roc_curve(y_true, scores, classes_to_plot=[cls]).table.data
    ]
    assert len(full) > archivist.Table.MAX_ROWS
    chart = archivist.plot.roc_curve(y_true, scores)
    assert len(chart.table.data) == archivist.Table.MAX_ROWS
    assert chart.table.data[0] == full[0] and {tuple(r) for r in chart.table.data} <= {tuple(r) for r in full}
    shares = [sum(row[0] == cls for row in chart.table.data) for cls in (0, 1)]
    assert abs(shares[0] - shares[1]) <= 1
    assert f"only {archivist.Table.MAX_ROWS} data points" in capsys.readouterr().err
