"""W&B's ``wandb.plot``: charts logged with ``run.log({key: chart})``, drawn by the web UI.

Each function returns a :class:`CustomChart` (a table and a vega spec with its field
mapping); logging it stores the table in the run's ``run_table`` artifact as
``<key>_table.table.json`` and the chart in ``config["_wandb"]["visualize"][key]``, the
layout W&B's own ``wandb.plot`` writes. No numpy, pandas or scikit-learn is needed.
"""

from archivist.sdk.plots.confusion_matrix import confusion_matrix
from archivist.sdk.plots.curves import pr_curve, roc_curve
from archivist.sdk.plots.custom_chart import CustomChart, CustomChartSpec, Visualize, plot_table, visualize
from archivist.sdk.plots.presets import bar, histogram, line, line_series, scatter

__all__ = [
    "CustomChart",
    "CustomChartSpec",
    "Visualize",
    "bar",
    "confusion_matrix",
    "histogram",
    "line",
    "line_series",
    "plot_table",
    "pr_curve",
    "roc_curve",
    "scatter",
    "visualize",
]
