"""Bar charts: ``wandb/bar/v0`` (a bar per ``label`` with its ``value``) and
``wandb/histogram/v0`` (the ``value`` column counted into equal-width bins)."""

from __future__ import annotations

import math

from archivist.core.chart_spec import ChartSpec
from archivist.core.errors import InvalidInputError
from archivist.core.table_json import TableData, cell_text, is_finite_number
from archivist.server.ui.charts.chart_data import column_name, numbers, required
from archivist.server.ui.charts.svg import Canvas, Scale, colour, number_label, padded_range

MAX_BARS = 60
HISTOGRAM_BINS = 30


def bar(spec: ChartSpec, table: TableData) -> str:
    label, value = required(spec, table, "label", 0), required(spec, table, "value", 1)
    bars: dict[str, float] = {}
    for row in table.rows:
        if is_finite_number(row[value]):
            name = cell_text(row[label])
            bars[name] = bars.get(name, 0.0) + float(row[value])
    if not bars:
        raise InvalidInputError(f"no row has a number in {column_name(table, value)!r}: nothing to draw")
    shown = list(bars.items())[:MAX_BARS]
    canvas = Canvas(spec.title, "bar")
    y = Scale(*padded_range([v for _, v in shown], include_zero=True), canvas.bottom, canvas.top)
    x = Scale(0, len(shown), canvas.left, canvas.right)
    canvas.axes(x, y, column_name(table, label), column_name(table, value), x_ticks=False)
    width = (canvas.right - canvas.left) / len(shown)
    for i, (name, amount) in enumerate(shown):
        top, base = y(max(amount, 0.0)), y(min(amount, 0.0))
        canvas.add(
            "rect",
            x=x(i) + width * 0.1,
            y=top,
            width=width * 0.8,
            height=max(base - top, 0.5),
            fill=colour(i),
            class_="bar",
            data_label=name,
            data_value=number_label(amount),
        )
        if len(shown) <= 20:
            canvas.text(x(i) + width / 2, canvas.bottom + 15, name[:10], text_anchor="middle", font_size=10)
    return canvas.svg()


def histogram(spec: ChartSpec, table: TableData) -> str:
    column = required(spec, table, "value", 0)
    values = numbers(table.rows, column)
    if not values:
        raise InvalidInputError(
            f"the column {column_name(table, column)!r} holds no numbers: nothing to count"
        )
    low, high = min(values), max(values)
    bins = HISTOGRAM_BINS if high > low else 1
    width = (high - low) / bins if high > low else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, math.floor((v - low) / width))] += 1
    canvas = Canvas(spec.title, "histogram")
    x = Scale(low, low + width * bins, canvas.left, canvas.right)
    y = Scale(*padded_range([float(c) for c in counts], include_zero=True), canvas.bottom, canvas.top)
    canvas.axes(x, y, column_name(table, column), "count")
    for i, count in enumerate(counts):
        left, right = x(low + i * width), x(low + (i + 1) * width)
        canvas.add(
            "rect",
            x=left + 0.5,
            y=y(count),
            width=max(right - left - 1, 0.5),
            height=y(0) - y(count),
            fill=colour(0),
            class_="bar",
            data_value=count,
        )
    return canvas.svg()
