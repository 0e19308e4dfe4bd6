"""W&B's preset charts drawn server-side as SVG from a table's rows (no script, no CDN).

Accepted: a :class:`~archivist.core.chart_spec.ChartSpec` (how a run's config records a
``wandb.plot_table``/``wandb.plot.*`` chart) and the :class:`TableData` it reads. Spec ids
are matched without their version suffix:

==============================  ==========================================  ===================
spec id                         fields (chart field -> table column)        drawn as
==============================  ==========================================  ===================
``wandb/line/v0``               ``x``, ``y``, optional ``stroke`` (groups)   lines
``wandb/scatter/v0``            ``x``, ``y``                                 points
``wandb/bar/v0``                ``label``, ``value``                         bars
``wandb/histogram/v0``          ``value``                                    30 equal-width bins
``wandb/confusion_matrix/v*``   ``Actual``, ``Predicted``, ``nPredictions``  heatmap
``wandb/area-under-curve/v0``   ``x``, ``y``, optional ``class`` (groups)    PR / ROC curves
``wandb/lineseries/v0``         ``step``, ``lineKey``, ``lineVal``           lines
==============================  ==========================================  ===================

A field the spec does not map reads the column of the same name, else the column at the
field's usual position. ``string_fields`` give the title (``title``) and axis titles
(``x-axis-title``, ``y-axis-title``, ``xname``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archivist.core.chart_spec import ChartSpec
from archivist.core.errors import InvalidInputError
from archivist.core.table_json import TableData
from archivist.server.ui.charts import bars, heatmap, xy

DRAWERS: dict[str, Callable[[ChartSpec, TableData], str]] = {
    "wandb/line": xy.line,
    "wandb/scatter": xy.scatter,
    "wandb/area-under-curve": xy.curve,
    "wandb/lineseries": xy.line_series,
    "wandb/bar": bars.bar,
    "wandb/histogram": bars.histogram,
    "wandb/confusion_matrix": heatmap.confusion_matrix,
}


@dataclass(frozen=True)
class RenderedChart:
    spec: ChartSpec
    svg: str = ""
    """The chart as SVG markup (every text escaped); empty when ``problem`` says why not."""
    problem: str = ""


def spec_family(spec_name: str) -> str:
    """``wandb/line/v0`` -> ``wandb/line``."""
    head, _, last = spec_name.rpartition("/")
    return head if head and last[:1] == "v" and last[1:].isdigit() else spec_name


def render_chart(spec: ChartSpec, table: TableData) -> RenderedChart:
    drawer = DRAWERS.get(spec_family(spec.spec_name))
    if drawer is None:
        known = ", ".join(f"{family}/v*" for family in DRAWERS)
        return RenderedChart(
            spec,
            problem=f"chart {spec.spec_name!r} is not drawn here (drawn: {known}); the table holds its data",
        )
    try:
        return RenderedChart(spec, svg=drawer(spec, table))
    except InvalidInputError as error:
        return RenderedChart(spec, problem=error.message)
