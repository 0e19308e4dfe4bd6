"""``wandb/confusion_matrix/v1``: a heatmap of ``nPredictions`` by ``Actual`` (rows) and
``Predicted`` (columns), as ``wandb.plot.confusion_matrix`` writes the table."""

from __future__ import annotations

from archivist.core.chart_spec import ChartSpec
from archivist.core.errors import InvalidInputError
from archivist.core.table_json import TableData, cell_text, is_finite_number
from archivist.server.ui.charts.chart_data import column_name, required
from archivist.server.ui.charts.svg import Canvas, number_label

MAX_CLASSES = 40


def _shade(fraction: float) -> str:
    """White to the UI's blue."""
    start, end = (255, 255, 255), (47, 98, 196)
    rgb = [round(a + (b - a) * fraction) for a, b in zip(start, end, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def confusion_matrix(spec: ChartSpec, table: TableData) -> str:
    actual = required(spec, table, "Actual", 0)
    predicted = required(spec, table, "Predicted", 1)
    count = required(spec, table, "nPredictions", 2)
    cells: dict[tuple[str, str], float] = {}
    actual_names: dict[str, None] = {}
    predicted_names: dict[str, None] = {}
    for row in table.rows:
        if not is_finite_number(row[count]):
            continue
        a, p = cell_text(row[actual]), cell_text(row[predicted])
        actual_names.setdefault(a, None)
        predicted_names.setdefault(p, None)
        cells[(a, p)] = cells.get((a, p), 0.0) + float(row[count])
    if not cells:
        raise InvalidInputError(f"no row has a count in {column_name(table, count)!r}: nothing to draw")
    rows, columns = list(actual_names)[:MAX_CLASSES], list(predicted_names)[:MAX_CLASSES]
    canvas = Canvas(spec.title, "confusion-matrix", width=640, height=460)
    left, top = 120.0, 70.0
    size = min((canvas.width - left - 20) / len(columns), (canvas.height - top - 20) / len(rows))
    most = max(cells.values()) or 1.0
    canvas.text(
        left + size * len(columns) / 2,
        top - 30,
        column_name(table, predicted),
        text_anchor="middle",
        font_size=12,
    )
    canvas.text(
        14,
        top + size * len(rows) / 2,
        column_name(table, actual),
        font_size=12,
        transform=f"rotate(-90 14 {top + size * len(rows) / 2:.1f})",
        text_anchor="middle",
    )
    for j, name in enumerate(columns):
        canvas.text(left + size * (j + 0.5), top - 8, name[:12], text_anchor="middle", font_size=10)
    for i, actual_name in enumerate(rows):
        canvas.text(left - 6, top + size * (i + 0.5) + 4, actual_name[:16], text_anchor="end", font_size=10)
        for j, predicted_name in enumerate(columns):
            value = cells.get((actual_name, predicted_name), 0.0)
            canvas.add(
                "rect",
                x=left + size * j,
                y=top + size * i,
                width=size,
                height=size,
                fill=_shade(value / most),
                stroke="#fff",
                class_="cell",
                data_actual=actual_name,
                data_predicted=predicted_name,
                data_value=number_label(value),
            )
            if size >= 22:
                canvas.text(
                    left + size * (j + 0.5),
                    top + size * (i + 0.5) + 4,
                    number_label(value),
                    text_anchor="middle",
                    font_size=10,
                    fill="#fff" if value / most > 0.5 else "#222",
                )
    return canvas.svg()
