"""The Lineage tab of a version and of a run: the graph around the node, walked
upstream and downstream to the depths chosen on the page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from archivist.core.models import RunRef
from archivist.server.ui.lineage_view import DEFAULT_DEPTH, MAX_DEPTH, Depths, graph_data, walk
from archivist.server.ui.routes_version import VERSION_PATH, find_version
from archivist.server.ui.state import Page, UiState, route_class

RUN_PATH = "/runs/{entity}/{project}/{run_id}"
DEFAULT = str(DEFAULT_DEPTH)


def lineage_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    def render(page: Page, node_id: str, up: str, down: str, owner: str, **context: Any) -> Response:
        """The lineage page of a version or a run (``owner`` names the header to show)."""
        depths = Depths.parse(up, down)
        upstream, downstream = walk(page.backend, node_id, depths)
        return ui.render(
            page.request,
            "lineage.html",
            owner=owner,
            tab="lineage",
            graph=graph_data(upstream, downstream, depths),
            depths=depths,
            max_depth=MAX_DEPTH,
            **context,
        )

    @router.get(VERSION_PATH + "/lineage")
    def version_lineage(
        request: Request,
        entity: str,
        project: str,
        name: str,
        selector: str,
        up: str = DEFAULT,
        down: str = DEFAULT,
    ) -> Response:
        page = ui.page(request)
        version = find_version(page, entity, project, name, selector)
        return render(page, version.id, up, down, "version", version=version)

    @router.get(RUN_PATH + "/lineage")
    def run_lineage(
        request: Request, entity: str, project: str, run_id: str, up: str = DEFAULT, down: str = DEFAULT
    ) -> Response:
        page = ui.page(request)
        run = page.backend.get_run(RunRef(entity, project, run_id))
        return render(page, run.ref.path, up, down, "run", run=run)

    return router
