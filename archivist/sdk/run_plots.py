"""``run.log({"conf": wandb.plot.confusion_matrix(...)})``: charts logged to a run, as W&B
does it (``wandb.Run._serialize_custom_charts``).

Each chart found in the logged dict (nested dicts too, keyed ``outer.inner``) is taken out
of the row; its spec is recorded in the run's config at ``config["_wandb"]["visualize"][key]``
(``["viz"]`` for ``wandb.visualize``) and its table is logged in the same row under the
chart's table key (``<key>_table``), which ``archivist.sdk.run_tables`` turns into the
``run_table`` artifact holding ``<key>_table.table.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archivist.sdk.run import Run


def _is_chart(value: Any) -> bool:
    from archivist.sdk.plots.custom_chart import CustomChart, Visualize

    return isinstance(value, (CustomChart, Visualize))


def _pop_charts(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Take every chart out of ``data`` (and its nested dicts); returns them by dotted key."""
    charts: dict[str, Any] = {}
    for key in list(data):
        value = data[key]
        full = f"{prefix}.{key}" if prefix else str(key)
        if _is_chart(value):
            charts[full] = data.pop(key)
        elif isinstance(value, Mapping):
            nested = dict(value)
            found = _pop_charts(nested, full)
            if found:  # a dict that held only charts leaves no key (W&B's history has none)
                if nested:
                    data[key] = nested
                else:
                    del data[key]
                charts.update(found)
    return charts


def _contains_chart(data: Mapping[str, Any]) -> bool:
    return any(_is_chart(v) or (isinstance(v, Mapping) and _contains_chart(v)) for v in data.values())


def log_charts(run: Run, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with each chart replaced by its table under the chart's table key; the
    charts' specs are recorded in ``run.config``. ``data`` itself is not changed."""
    from archivist.sdk.plots.custom_chart import CustomChart

    if not isinstance(data, Mapping) or not _contains_chart(data):
        return data
    out = dict(data)
    for key, chart in _pop_charts(out).items():
        chart.set_key(key)
        record_chart(run, chart.spec.config_key, chart.spec.config_value)
        out[chart.spec.table_key if isinstance(chart, CustomChart) else key] = chart.table
    return out


def record_chart(run: Run, config_key: tuple[str, str, str], value: Mapping[str, Any]) -> None:
    """Set ``config[root][section][key] = value``, keeping the other charts."""
    root_key, section_key, key = config_key
    config = run.config
    root = dict(config.get(root_key) or {}) if isinstance(config.get(root_key), Mapping) else {}
    section = dict(root.get(section_key) or {}) if isinstance(root.get(section_key), Mapping) else {}
    section[key] = value
    root[section_key] = section
    config.update({root_key: root})
