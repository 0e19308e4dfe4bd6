"""Charts of (x, y) points: ``wandb/line/v0`` (a line per ``stroke`` group),
``wandb/scatter/v0``, ``wandb/area-under-curve/v0`` (PR and ROC curves, a line per
``class``) and ``wandb/lineseries/v0`` (``step``, ``lineKey``, ``lineVal``)."""

from __future__ import annotations

from archivist.core.chart_spec import ChartSpec
from archivist.core.errors import InvalidInputError
from archivist.core.table_json import TableData
from archivist.server.ui.charts.chart_data import (
    column_for,
    column_name,
    groups,
    points,
    required,
    thinned,
)
from archivist.server.ui.charts.svg import Canvas, Scale, colour, padded_range


def _draw(
    canvas: Canvas, series: dict[str, list[tuple[float, float]]], x_title: str, y_title: str, lines: bool
) -> str:
    every = [p for values in series.values() for p in values]
    if not every:
        raise InvalidInputError(f"no row has numbers in both {x_title!r} and {y_title!r}: nothing to draw")
    x = Scale(*padded_range([p[0] for p in every]), canvas.left, canvas.right)
    y = Scale(*padded_range([p[1] for p in every]), canvas.bottom, canvas.top)
    canvas.axes(x, y, x_title, y_title)
    for i, (name, values) in enumerate(series.items()):
        if lines:
            ordered = sorted(thinned(values))
            path = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py in ordered)
            canvas.add(
                "polyline",
                points=path,
                fill="none",
                stroke=colour(i),
                stroke_width=2,
                class_="series",
                data_series=name,
            )
        else:
            for px, py in thinned(values):
                canvas.add(
                    "circle", cx=x(px), cy=y(py), r=3, fill=colour(i), fill_opacity=0.75, class_="point"
                )
    if len(series) > 1 or next(iter(series)):
        canvas.legend(list(series))
    return canvas.svg()


def _by_group(table: TableData, x: int, y: int, group: int | None) -> dict[str, list[tuple[float, float]]]:
    return {name: points(rows, x, y) for name, rows in groups(table.rows, group).items()}


def line(spec: ChartSpec, table: TableData) -> str:
    x, y = required(spec, table, "x", 0), required(spec, table, "y", 1)
    stroke = column_for(spec, table, "stroke")
    canvas = Canvas(spec.title, "line")
    series = _by_group(table, x, y, stroke)
    return _draw(canvas, series, _axis(spec, "x", table, x), _axis(spec, "y", table, y), lines=True)


def scatter(spec: ChartSpec, table: TableData) -> str:
    x, y = required(spec, table, "x", 0), required(spec, table, "y", 1)
    canvas = Canvas(spec.title, "scatter")
    return _draw(
        canvas,
        {"": points(table.rows, x, y)},
        _axis(spec, "x", table, x),
        _axis(spec, "y", table, y),
        lines=False,
    )


def curve(spec: ChartSpec, table: TableData) -> str:
    """PR / ROC curves: columns (class, x, y) as ``wandb.plot.pr_curve``/``roc_curve`` write them."""
    x, y = required(spec, table, "x", 1), required(spec, table, "y", 2)
    group = column_for(spec, table, "class")
    canvas = Canvas(spec.title, "curve")
    series = _by_group(table, x, y, group)
    return _draw(canvas, series, _axis(spec, "x", table, x), _axis(spec, "y", table, y), lines=True)


def line_series(spec: ChartSpec, table: TableData) -> str:
    step, key, value = (
        required(spec, table, "step", 0),
        required(spec, table, "lineKey", 1),
        required(spec, table, "lineVal", 2),
    )
    canvas = Canvas(spec.title, "line")
    series = _by_group(table, step, value, key)
    x_title = spec.string_fields.get("xname") or column_name(table, step)
    return _draw(canvas, series, x_title, column_name(table, value), lines=True)


def _axis(spec: ChartSpec, chart_field: str, table: TableData, column: int) -> str:
    return spec.string_fields.get(f"{chart_field}-axis-title") or column_name(table, column)
