"""Reading the charts a run's config records the way W&B's plot functions write them."""

from __future__ import annotations

from archivist.core.chart_spec import ChartSpec, charts_in_config
from tests.ui.table_data import chart_config


def test_custom_charts_from_the_visualize_config() -> None:
    config = {
        "lr": 0.1,
        "_wandb": {
            "visualize": {
                "roc": chart_config("roc", "wandb/area-under-curve/v0", {"x": "fpr", "y": "tpr"}, "ROC"),
                "broken": {"panel_type": "Vega2"},
                "no-query": {
                    "panel_config": {
                        "panelDefId": "wandb/bar/v0",
                        "fieldSettings": {"label": "l", "value": 3},
                    }
                },
            },
            "viz": {
                "cm": {
                    "id": "wandb/confusion_matrix/v1",
                    "historyFieldSettings": {"key": "cm", "x-axis": "_step"},
                }
            },
        },
    }
    charts = charts_in_config(config)
    assert [chart.key for chart in charts] == ["cm", "no-query", "roc"]
    cm, bar, roc = charts
    assert roc == ChartSpec(
        "roc", "wandb/area-under-curve/v0", "roc_table", {"x": "fpr", "y": "tpr"}, {"title": "ROC"}
    )
    assert bar.table_key == "no-query_table" and bar.fields == {"label": "l", "value": "3"}
    assert (cm.spec_name, cm.table_key, dict(cm.fields)) == ("wandb/confusion_matrix/v1", "cm", {})
    assert roc.title == "ROC" and bar.title == "no-query"


def test_which_table_file_a_chart_draws() -> None:
    """The entry W&B writes is named after the whole logged key, slashes included."""
    chart = ChartSpec("roc", "wandb/line/v0", "roc_table")
    assert chart.table_path == "roc_table.table.json" and chart.draws("roc_table.table.json")
    assert not chart.draws("roc.table.json") and not chart.draws("other_table.table.json")
    split = ChartSpec("roc", "wandb/line/v0", "Custom Chart Tables/roc_table")
    assert split.draws("Custom Chart Tables/roc_table.table.json")
    assert not split.draws("roc_table.table.json")
    nested = ChartSpec("eval/roc", "wandb/line/v0", "eval/roc_table")
    assert nested.table_path == "eval/roc_table.table.json"
    assert not nested.draws("roc_table.table.json") and not nested.draws("other/roc_table.table.json")


def test_configs_without_charts() -> None:
    assert charts_in_config({}) == []
    assert charts_in_config({"_wandb": "x"}) == []
    assert charts_in_config({"_wandb": {"visualize": [1, 2]}}) == []
