"""The custom charts of a run's page: each chart its config records
(``archivist.core.chart_spec``) drawn from its table, found as ``<table key>.table.json``
in one of the versions the run logged (W&B puts it in the run's ``run_table`` artifact)."""

from __future__ import annotations

from dataclasses import dataclass

from archivist.core.chart_spec import charts_in_config
from archivist.core.errors import InvalidInputError
from archivist.core.manifest import Entry
from archivist.core.models import RunRecord, VersionRecord
from archivist.server.ui.charts import RenderedChart, render_chart
from archivist.server.ui.manifests import ManifestCache, find_entry
from archivist.server.ui.table_files import TableCache
from archivist.server.ui.ui_backend import UiBackend

MAX_RUN_CHARTS = 20


@dataclass(frozen=True)
class RunChart:
    chart: RenderedChart
    version: VersionRecord | None = None
    """The logged version holding the chart's table (None when none does)."""
    table_path: str = ""


def _table_of(
    manifests: ManifestCache, backend: UiBackend, outputs: list[VersionRecord], path: str
) -> tuple[VersionRecord, Entry] | None:
    ordered = sorted(outputs, key=lambda v: (v.type != "run_table", -v.version_index))
    for version in ordered:
        entry = find_entry(manifests, backend, version, path)
        if entry is not None:
            return version, entry
    return None


def run_charts(
    tables: TableCache,
    manifests: ManifestCache,
    backend: UiBackend,
    run: RunRecord,
    outputs: list[VersionRecord],
) -> list[RunChart]:
    """The first ``MAX_RUN_CHARTS`` charts of ``run``'s config, drawn or with a reason why not."""
    drawn = []
    for spec in charts_in_config(run.config)[:MAX_RUN_CHARTS]:
        path = spec.table_path
        found = _table_of(manifests, backend, outputs, path)
        if found is None:
            problem = f"its table {path!r} is in none of the versions this run logged"
            drawn.append(RunChart(RenderedChart(spec, problem=problem)))
            continue
        version, entry = found
        try:
            chart = render_chart(spec, tables.table(backend, entry))
        except InvalidInputError as error:
            chart = RenderedChart(spec, problem=error.message)
        drawn.append(RunChart(chart, version, path))
    return drawn
