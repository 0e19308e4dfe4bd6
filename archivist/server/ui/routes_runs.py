"""Runs: the runs of a project, one run's page (config, summary, metric history as
line charts, the custom charts its config records, and the versions it used and
logged), and the bytes of a file saved with the run (``run.save``; the ``url`` of W&B's
public ``File``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from archivist.core.errors import PathNotFoundError
from archivist.core.manifest import Entry
from archivist.core.models import RunRef
from archivist.server.ui.metric_history import chart_series, read_rows
from archivist.server.ui.paging import Paging
from archivist.server.ui.routes_files import file_response
from archivist.server.ui.routes_lineage import RUN_PATH
from archivist.server.ui.run_charts import run_charts
from archivist.server.ui.state import PageNumber, UiState, route_class

RUNS_PER_PAGE = 100


def runs_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.get("/runs/{entity}/{project}")
    def runs(request: Request, entity: str, project: str, page_number: PageNumber = 1) -> Response:
        page = ui.page(request)
        records = sorted(page.backend.list_runs(entity, project), key=lambda r: r.created_at, reverse=True)
        paging = Paging(page_number, RUNS_PER_PAGE, len(records))
        return ui.render(
            request,
            "runs.html",
            entity=entity,
            project=project,
            runs=records[paging.offset : paging.offset + paging.size],
            paging=paging,
        )

    @router.get(RUN_PATH)
    def run(request: Request, entity: str, project: str, run_id: str) -> Response:
        page = ui.page(request)
        ref = RunRef(entity, project, run_id)
        record = page.backend.get_run(ref)
        rows, more = read_rows(page.backend, ref)
        outputs = page.backend.run_outputs(ref)
        return ui.render(
            request,
            "run.html",
            run=record,
            tab="overview",
            inputs=page.backend.run_inputs(ref),
            outputs=outputs,
            custom_charts=run_charts(ui.tables, ui.manifests, page.backend, record, outputs),
            history=chart_series(rows),
            history_rows=len(rows),
            history_truncated=more,
        )

    @router.get(RUN_PATH + "/files/raw")
    def run_file(request: Request, entity: str, project: str, run_id: str, path: str) -> Response:
        page = ui.page(request)
        ref = RunRef(entity, project, run_id)
        for saved in page.backend.list_run_files(ref):
            if saved.path == path:
                return file_response(page.backend, Entry(saved.path, saved.digest, saved.size), None)
        raise PathNotFoundError(f"run {ref.path} has no file {path!r}")

    return router
