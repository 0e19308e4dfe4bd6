"""Compare two versions of a collection: files added, removed and changed, and a
metadata diff. The versions come as ``a`` and ``b`` (aliases or ``vN``), or as
two ``v`` values from the checkboxes of the collection page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.core.errors import InvalidInputError
from archivist.server.ui import urls
from archivist.server.ui.diffing import diff_metadata
from archivist.server.ui.manifests import compare_files
from archivist.server.ui.state import UiState, route_class

MAX_ROWS_PER_SECTION = 1000


def compare_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.get("/artifacts/{entity}/{project}/{name}/compare")
    def compare(
        request: Request,
        entity: str,
        project: str,
        name: str,
        a: str = "",
        b: str = "",
        v: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        page = ui.page(request)
        collection = page.backend.get_collection(entity, project, name)
        if v:
            if len(v) != 2:
                raise InvalidInputError(f"pick exactly two versions to compare, not {len(v)}")
            target = urls.with_query(urls.compare_url(entity, project, name), a=v[0], b=v[1])
            return RedirectResponse(target, status_code=303)
        if not (a.strip() and b.strip()):
            return ui.render(request, "compare.html", collection=collection, a=a, b=b, old=None)
        old = page.backend.resolve_version(entity, project, name, a.strip())
        new = page.backend.resolve_version(entity, project, name, b.strip())
        if old.version_index > new.version_index:
            old, new = new, old
        files = compare_files(ui.manifests, page.backend, old, new, keep=MAX_ROWS_PER_SECTION)
        return ui.render(
            request,
            "compare.html",
            collection=collection,
            a=old.version,
            b=new.version,
            old=old,
            new=new,
            files=files,
            metadata=diff_metadata(old.metadata, new.metadata),
            max_rows=MAX_ROWS_PER_SECTION,
        )

    return router
