"""W&B's preset charts drawn as SVG from a table: what each kind draws, that every text is
escaped, and the message when the table does not hold what the chart needs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from archivist.core.chart_spec import ChartSpec
from archivist.core.table_json import TableData
from archivist.server.ui.charts import render_chart, spec_family
from archivist.server.ui.charts.chart_data import MAX_POINTS
from archivist.server.ui.charts.svg import nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def table(columns: list[str], rows: list[list[object]]) -> TableData:
    return TableData(tuple(columns), tuple(tuple(row) for row in rows), {})


def drawn(
    spec: str, data: TableData, fields: dict[str, str] | None = None, title: str = "T"
) -> ElementTree.Element:
    chart = render_chart(ChartSpec("k", spec, "k_table", fields or {}, {"title": title}), data)
    assert chart.problem == "" and chart.svg
    return ElementTree.fromstring(chart.svg)  # well-formed XML


def by_class(svg: ElementTree.Element, tag: str, css_class: str) -> list[ElementTree.Element]:
    return [e for e in svg.iter(f"{SVG}{tag}") if e.get("class") == css_class]


def test_line_draws_a_line_per_stroke_group_sorted_by_x() -> None:
    data = table(
        ["step", "loss", "run"], [[3, 0.1, "a"], [1, 0.5, "a"], [2, 0.3, "a"], [1, 0.9, "b"], [2, 0.8, "b"]]
    )
    svg = drawn("wandb/line/v0", data, {"x": "step", "y": "loss", "stroke": "run"})
    lines = by_class(svg, "polyline", "series")
    assert [line.get("data-series") for line in lines] == ["a", "b"]
    xs = [float(p.split(",")[0]) for p in lines[0].get("points", "").split()]
    assert xs == sorted(xs) and len(xs) == 3
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "legend-item"] == ["a", "b"]


def test_scatter_draws_a_point_per_numeric_row() -> None:
    data = table(["x", "y"], [[1, 2], [2, 4], ["n/a", 1], [3, None], [4, 8]])
    assert len(by_class(drawn("wandb/scatter/v0", data), "circle", "point")) == 3


def test_bar_sums_values_per_label() -> None:
    data = table(["label", "value"], [["a", 1], ["b", 2], ["a", 4]])
    bars = by_class(drawn("wandb/bar/v0", data), "rect", "bar")
    assert [(b.get("data-label"), b.get("data-value")) for b in bars] == [("a", "5"), ("b", "2")]


def test_histogram_counts_every_number_once() -> None:
    data = table(["score"], [[i / 100] for i in range(100)] + [["text"], [None]])
    bars = by_class(drawn("wandb/histogram/v0", data, {"value": "score"}), "rect", "bar")
    assert len(bars) == 30 and sum(int(b.get("data-value", "0")) for b in bars) == 100


def test_confusion_matrix_fills_every_cell() -> None:
    data = table(
        ["Actual", "Predicted", "nPredictions"], [["cat", "cat", 5], ["cat", "dog", 1], ["dog", "dog", 7]]
    )
    cells = by_class(drawn("wandb/confusion_matrix/v1", data), "rect", "cell")
    found = {(c.get("data-actual"), c.get("data-predicted")): c.get("data-value") for c in cells}
    assert found == {("cat", "cat"): "5", ("cat", "dog"): "1", ("dog", "cat"): "0", ("dog", "dog"): "7"}


def test_pr_and_roc_curves_draw_a_line_per_class_with_axis_titles() -> None:
    data = table(["class", "recall", "precision"], [["a", 0, 1], ["a", 1, 0.5], ["b", 0, 0.9], ["b", 1, 0.2]])
    chart = render_chart(
        ChartSpec(
            "pr",
            "wandb/area-under-curve/v0",
            "pr_table",
            {"x": "recall", "y": "precision", "class": "class"},
            {"title": "PR", "x-axis-title": "Recall", "y-axis-title": "Precision"},
        ),
        data,
    )
    svg = ElementTree.fromstring(chart.svg)
    assert len(by_class(svg, "polyline", "series")) == 2
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Recall" in texts and "Precision" in texts


def test_long_series_are_thinned() -> None:
    data = table(["x", "y"], [[i, i * 2] for i in range(3 * MAX_POINTS)])
    line = by_class(drawn("wandb/line/v0", data), "polyline", "series")[0]
    assert len(line.get("points", "").split()) == MAX_POINTS


def test_titles_and_names_from_the_table_stay_text() -> None:
    payload = "<script>alert(1)</script>"
    data = table([payload, "y"], [[payload, 1], ["b", 2]])
    chart = render_chart(
        ChartSpec("k", "wandb/bar/v0", "k_table", {"label": payload, "value": "y"}, {"title": payload}), data
    )
    assert "<script>" not in chart.svg and "&lt;script&gt;" in chart.svg
    ElementTree.fromstring(chart.svg)


@pytest.mark.parametrize(
    ("spec", "fields", "rows", "message"),
    [
        (
            "wandb/line/v0",
            {"x": "nope"},
            [[1, 2]],
            "maps field 'x' to column 'nope', which the table does not have",
        ),
        ("wandb/scatter/v0", {}, [["a", "b"]], "no row has numbers in both 'a' and 'b'"),
        ("wandb/histogram/v0", {}, [["x", "y"]], "holds no numbers"),
        ("someone/custom/v3", {}, [[1, 2]], "chart 'someone/custom/v3' is not drawn here"),
    ],
)
def test_what_a_chart_cannot_draw_is_said(
    spec: str, fields: dict[str, str], rows: list[list[object]], message: str
) -> None:
    chart = render_chart(ChartSpec("k", spec, "k_table", fields), table(["a", "b"], rows))
    assert chart.svg == "" and message in chart.problem


def test_spec_family_and_ticks() -> None:
    assert (
        spec_family("wandb/line/v0") == "wandb/line"
        and spec_family("wandb/confusion_matrix/v12") == "wandb/confusion_matrix"
    )
    assert spec_family("custom") == "custom" and spec_family("a/vb") == "a/vb"
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(3, 3) == [3]
    assert all(re.fullmatch(r"[0-9.]+", str(t)) for t in nice_ticks(0, 250))
