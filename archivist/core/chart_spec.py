"""W&B's custom charts as a run records them (pure): which table a chart draws, and how.

``wandb.plot_table`` and the ``wandb.plot.*`` helpers (line, scatter, bar, histogram,
confusion_matrix, pr_curve, roc_curve, line_series) log a table under ``<key>_table``
and put the chart in the run's config::

    config["_wandb"]["visualize"][<key>] = {
        "panel_type": "Vega2",
        "panel_config": {
            "panelDefId": "wandb/line/v0",            # the vega spec id
            "fieldSettings": {"x": "step", "y": "loss"},  # chart field -> table column
            "stringSettings": {"title": "Loss"},      # chart text (title, axis titles)
            "userQuery": {... {"name": "tableKey", "value": "<key>_table"} ...},
        },
    }

The older ``wandb.visualize(id, table)`` records ``config["_wandb"]["viz"][<key>] =
{"id": <spec id>, "historyFieldSettings": {"key": <key>, ...}}`` with the table under
``<key>`` itself and no field mapping. The table itself lands in the run's ``run_table``
artifact as ``<table key>.table.json``, the whole key kept: the chart logged as ``eval/conf``
reads ``eval/conf_table.table.json``, and with ``split_table=True``
``Custom Chart Tables/conf_table.table.json``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from archivist.core.table_json import TABLE_SUFFIX

CONFIG_ROOT = "_wandb"


@dataclass(frozen=True)
class ChartSpec:
    """One chart: its vega spec id, its field mapping, its texts and the table it reads."""

    key: str
    spec_name: str
    table_key: str
    fields: Mapping[str, str] = field(default_factory=dict)
    string_fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.string_fields.get("title") or self.key

    @property
    def table_path(self) -> str:
        """The artifact entry holding the chart's table: the whole table key (slashes and
        all, as W&B names the entry after the logged key) plus ``.table.json``."""
        return self.table_key + TABLE_SUFFIX

    def draws(self, table_path: str) -> bool:
        """Whether this chart reads the table stored at ``table_path`` (an artifact entry)."""
        return table_path == self.table_path


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(k): str(v)
        for k, v in value.items()
        if isinstance(v, (str, int, float)) and not isinstance(v, bool)
    }


def _table_key(query: Any) -> str | None:
    """The ``tableKey`` argument somewhere in a panel's ``userQuery``."""
    if isinstance(query, Mapping):
        if query.get("name") == "tableKey" and isinstance(query.get("value"), str):
            return str(query["value"])
        children: Any = query.values()
    elif isinstance(query, list):
        children = query
    else:
        return None
    for child in children:
        found = _table_key(child)
        if found is not None:
            return found
    return None


def _custom_charts(entries: Any) -> Iterator[ChartSpec]:
    if not isinstance(entries, Mapping):
        return
    for key, value in entries.items():
        panel = value.get("panel_config") if isinstance(value, Mapping) else None
        if not isinstance(panel, Mapping) or not isinstance(panel.get("panelDefId"), str):
            continue
        yield ChartSpec(
            key=str(key),
            spec_name=panel["panelDefId"],
            table_key=_table_key(panel.get("userQuery")) or f"{key}_table",
            fields=_strings(panel.get("fieldSettings")),
            string_fields=_strings(panel.get("stringSettings")),
        )


def _visualized(entries: Any) -> Iterator[ChartSpec]:
    if not isinstance(entries, Mapping):
        return
    for key, value in entries.items():
        if isinstance(value, Mapping) and isinstance(value.get("id"), str):
            settings = value.get("historyFieldSettings")
            table_key = settings.get("key") if isinstance(settings, Mapping) else None
            yield ChartSpec(key=str(key), spec_name=value["id"], table_key=str(table_key or key))


def charts_in_config(config: Mapping[str, Any]) -> list[ChartSpec]:
    """Every chart a run's config records (malformed entries are skipped), by key."""
    root = config.get(CONFIG_ROOT)
    if not isinstance(root, Mapping):
        return []
    charts = [*_custom_charts(root.get("visualize")), *_visualized(root.get("viz"))]
    return sorted(charts, key=lambda chart: chart.key)
