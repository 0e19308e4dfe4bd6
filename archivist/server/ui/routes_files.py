"""The Files tab: a folder browser over the manifest, one file's preview, and
the file's bytes (as a download, or inline for the image types we preview)."""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from archivist.core.errors import InvalidInputError, PathNotFoundError
from archivist.core.manifest import Entry
from archivist.core.models import VersionRecord
from archivist.core.table_json import table_kind
from archivist.core.table_query import RowQuery
from archivist.server.ui.manifests import find_entry, folder_listing
from archivist.server.ui.paging import Paging
from archivist.server.ui.previews import build_preview, image_type
from archivist.server.ui.routes_version import VERSION_PATH, find_version
from archivist.server.ui.state import Page, PageNumber, UiState, route_class
from archivist.server.ui.table_page import table_page
from archivist.server.ui.ui_backend import UiBackend

FILES_PER_PAGE = 500


def folder_trail(folder: str) -> list[tuple[str, str]]:
    """``a/b`` -> ``[("a", "a"), ("b", "a/b")]``: the breadcrumb of a folder."""
    trail = []
    parts = [p for p in folder.split("/") if p]
    for i, part in enumerate(parts):
        trail.append((part, "/".join(parts[: i + 1])))
    return trail


def files_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    def entry_of(
        request: Request, entity: str, project: str, name: str, selector: str, path: str
    ) -> tuple[Page, VersionRecord, Entry]:
        page = ui.page(request)
        version = find_version(page, entity, project, name, selector)
        entry = find_entry(ui.manifests, page.backend, version, path)
        if entry is None:
            raise PathNotFoundError(f"no file {path!r} in '{version.qualified_collection}:{version.version}'")
        return page, version, entry

    @router.get(VERSION_PATH + "/files")
    def files(
        request: Request,
        entity: str,
        project: str,
        name: str,
        selector: str,
        path: str = "",
        page_number: PageNumber = 1,
    ) -> Response:
        page = ui.page(request)
        version = find_version(page, entity, project, name, selector)
        listing = folder_listing(ui.manifests, page.backend, version, path)
        children = listing.children
        paging = Paging(page_number, FILES_PER_PAGE, len(children))
        if path.strip("/") and not children:
            raise PathNotFoundError(
                f"no folder {path!r} in '{version.qualified_collection}:{version.version}'"
            )
        return ui.render(
            request,
            "files.html",
            version=version,
            tab="files",
            folder=listing.path,
            trail=folder_trail(listing.path),
            children=children[paging.offset : paging.offset + paging.size],
            paging=paging,
            parent=posixpath.dirname(listing.path),
        )

    @router.get(VERSION_PATH + "/files/view")
    def view_file(
        request: Request,
        entity: str,
        project: str,
        name: str,
        selector: str,
        path: str,
        page_number: PageNumber = 1,
        sort: str = "",
        order: str = "asc",
        column: Annotated[str, Query(alias="col")] = "",
        expression: Annotated[str, Query(alias="q")] = "",
    ) -> Response:
        page, version, entry = entry_of(request, entity, project, name, selector, path)
        kind = table_kind(entry.path)
        if kind is not None and not entry.is_reference:
            query = RowQuery(column, expression, sort, order)
            trail = folder_trail(posixpath.dirname(entry.path))
            return table_page(ui, page, version, entry, kind, query, page_number, trail)
        return ui.render(
            request,
            "file.html",
            version=version,
            tab="files",
            entry=entry,
            trail=folder_trail(posixpath.dirname(entry.path)),
            preview=build_preview(page.backend, entry),
        )

    @router.get(VERSION_PATH + "/files/raw")
    def raw_file(
        request: Request, entity: str, project: str, name: str, selector: str, path: str, inline: bool = False
    ) -> Response:
        page, _, entry = entry_of(request, entity, project, name, selector, path)
        if entry.is_reference:
            raise InvalidInputError(f"{path!r} is a reference to {entry.ref}; it is not stored here")
        media_type = image_type(entry.path) if inline else None
        return file_response(page.backend, entry, media_type)

    return router


def file_response(backend: UiBackend, entry: Entry, inline_type: str | None) -> FileResponse:
    """The blob's bytes: inline for previewable images, else as an attachment download."""
    filename = posixpath.basename(entry.path)
    disposition = "inline" if inline_type else "attachment"
    media_type = inline_type or "application/octet-stream"
    local = backend.local_blob_path(entry.digest)
    if local is not None:
        return FileResponse(
            local, media_type=media_type, filename=filename, content_disposition_type=disposition
        )
    handle, temp_path = tempfile.mkstemp(prefix="archivist-ui-download-")
    os.close(handle)
    try:
        backend.download_blob(entry.digest, temp_path)
    except BaseException:
        _remove(temp_path)
        raise
    return FileResponse(
        temp_path,
        media_type=media_type,
        filename=filename,
        content_disposition_type=disposition,
        background=BackgroundTask(_remove, temp_path),
    )


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
