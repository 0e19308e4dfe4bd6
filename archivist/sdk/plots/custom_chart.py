"""W&B's ``wandb.plot_table`` and ``wandb.visualize``: a table plus how a chart draws it.

``run.log({key: chart})`` (``archivist.sdk.run_plots``) sets the chart's key, records
:attr:`CustomChartSpec.config_value` at ``config["_wandb"]["visualize"][key]`` and logs the
table under :attr:`CustomChartSpec.table_key` (``<key>_table``), as W&B does; the web UI
(``archivist.core.chart_spec``) reads both back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archivist.core.errors import InvalidInputError

if TYPE_CHECKING:
    from archivist.sdk.data_types.table import Table

SPLIT_TABLE_SECTION = "Custom Chart Tables"
"""Where ``split_table=True`` puts a chart's table (W&B's section name)."""


def _require_table(value: Any, argument: str) -> None:
    from archivist.sdk.data_types.table import Table

    if not isinstance(value, Table):
        raise InvalidInputError(
            f"Expected `{argument}` to be `wandb.Table` type, instead got {type(value).__name__}"
        )


@dataclass
class CustomChartSpec:
    """A chart's vega spec id, field mapping and texts (W&B's ``CustomChartSpec``)."""

    spec_name: str
    fields: dict[str, Any]
    string_fields: dict[str, Any]
    key: str = ""
    panel_type: str = "Vega2"
    split_table: bool = False

    @property
    def table_key(self) -> str:
        if not self.key:
            raise InvalidInputError("the chart has no key yet: log it with run.log({key: chart})")
        if self.split_table:
            return f"{SPLIT_TABLE_SECTION}/{self.key}_table"
        return f"{self.key}_table"

    @property
    def config_value(self) -> dict[str, Any]:
        """The panel W&B records in the run's config (the same JSON, so W&B's UI reads it too)."""
        summary_table = {
            "name": "summaryTable",
            "args": [{"name": "tableKey", "value": self.table_key}],
            "fields": [],
        }
        return {
            "panel_type": self.panel_type,
            "panel_config": {
                "panelDefId": self.spec_name,
                "fieldSettings": self.fields,
                "stringSettings": self.string_fields,
                "transform": {"name": "tableWithLeafColNames"},
                "userQuery": {
                    "queryFields": [
                        {
                            "name": "runSets",
                            "args": [{"name": "runSets", "value": "${runSets}"}],
                            "fields": [
                                {"name": "id", "fields": []},
                                {"name": "name", "fields": []},
                                {"name": "_defaultColorIndex", "fields": []},
                                summary_table,
                            ],
                        }
                    ],
                },
            },
        }

    @property
    def config_key(self) -> tuple[str, str, str]:
        return ("_wandb", "visualize", self.key)


@dataclass
class CustomChart:
    """What ``plot_table`` and the ``plot.*`` helpers return; log it with ``run.log``."""

    table: Table
    spec: CustomChartSpec

    def set_key(self, key: str) -> None:
        self.spec.key = key


def plot_table(
    vega_spec_name: str,
    data_table: Table,
    fields: dict[str, Any],
    string_fields: dict[str, Any] | None = None,
    split_table: bool = False,
) -> CustomChart:
    """A chart of ``data_table`` drawn by the vega spec ``vega_spec_name`` (e.g.
    ``wandb/line/v0``); ``fields`` maps the spec's fields to the table's columns."""
    _require_table(data_table, "data_table")
    return CustomChart(
        table=data_table,
        spec=CustomChartSpec(
            spec_name=vega_spec_name,
            fields=fields,
            string_fields=string_fields or {},
            split_table=split_table,
        ),
    )


@dataclass
class VisualizeSpec:
    """W&B's older ``wandb.visualize`` record: ``config["_wandb"]["viz"][key]``."""

    name: str
    key: str = ""

    @property
    def config_value(self) -> dict[str, Any]:
        return {"id": self.name, "historyFieldSettings": {"x-axis": "_step", "key": self.key}}

    @property
    def config_key(self) -> tuple[str, str, str]:
        return ("_wandb", "viz", self.key)


@dataclass
class Visualize:
    table: Table
    spec: VisualizeSpec = field(default_factory=lambda: VisualizeSpec(""))

    def set_key(self, key: str) -> None:
        self.spec.key = key


def visualize(id: str, value: Table) -> Visualize:
    """A chart of ``value`` by the vega spec ``id``; its table is logged under the key itself."""
    _require_table(value, "value")
    return Visualize(table=value, spec=VisualizeSpec(name=id))
