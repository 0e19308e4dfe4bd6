"""Browsing: projects -> artifact types -> collections -> versions, and search."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.core.models import CollectionRecord, VersionQuery
from archivist.core.names import validate_tag
from archivist.server.ui import urls
from archivist.server.ui.history_view import EVENT_LABELS, go_to_version, history_section
from archivist.server.ui.paging import Paging
from archivist.server.ui.search import search_project
from archivist.server.ui.state import PageNumber, UiState, route_class

COLLECTIONS_PER_TYPE = 20
COLLECTIONS_PER_PAGE = 100
VERSIONS_PER_PAGE = 50


DELETED_SHOWN = 50
"""Deleted versions listed on a collection's page (most recently deleted first)."""


def browse_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.get("/")
    def home(request: Request) -> Response:
        page = ui.page(request)
        return RedirectResponse(urls.entity_url(page.backend.default_entity()), status_code=303)

    @router.get("/projects/{entity}")
    def projects(request: Request, entity: str) -> Response:
        page = ui.page(request)
        names = page.backend.list_projects(entity)
        return ui.render(request, "projects.html", entity=entity, projects=names)

    @router.get("/projects/{entity}/{project}")
    def project(request: Request, entity: str, project: str, q: str = "") -> Response:
        page = ui.page(request)
        collections = page.backend.list_collections(entity, project)
        by_type: dict[str, list[CollectionRecord]] = defaultdict(list)
        for collection in collections:
            by_type[collection.type].append(collection)
        results = search_project(page.backend, entity, project, q) if q.strip() else None
        usage = page.backend.storage_usage(entity, project) if collections else None
        return ui.render(
            request,
            "project.html",
            usage=usage,
            entity=entity,
            project=project,
            types=sorted(by_type.items()),
            per_type=COLLECTIONS_PER_TYPE,
            query=q,
            results=results,
        )

    @router.get("/projects/{entity}/{project}/types/{type_name}")
    def artifact_type(
        request: Request, entity: str, project: str, type_name: str, page_number: PageNumber = 1
    ) -> Response:
        page = ui.page(request)
        collections = page.backend.list_collections(entity, project, type_name)
        paging = Paging(page_number, COLLECTIONS_PER_PAGE, len(collections))
        return ui.render(
            request,
            "type.html",
            entity=entity,
            project=project,
            type_name=type_name,
            collections=collections[paging.offset : paging.offset + paging.size],
            paging=paging,
        )

    @router.get("/artifacts/{entity}/{project}/{name}")
    def collection(
        request: Request,
        entity: str,
        project: str,
        name: str,
        tag: str = "",
        q: str = "",
        as_of: str = "",
        history_alias: str = "",
        history_before: str = "",
        page_number: PageNumber = 1,
    ) -> Response:
        page = ui.page(request)
        record = page.backend.get_collection(entity, project, name)
        found = go_to_version(page, entity, project, name, q, as_of)  # a version: go straight to it
        if found is not None:
            return found
        tags = (validate_tag(tag.strip()),) if tag.strip() else ()
        paging = Paging(page_number, VERSIONS_PER_PAGE, record.version_count)
        versions = page.backend.list_versions(
            VersionQuery(entity, project, name, tags=tags, offset=paging.offset, limit=paging.size + 1)
        )
        if tags:  # the count of tagged versions is unknown: page by "is there more"
            paging = paging.with_more(len(versions) > paging.size)
        return ui.render(
            request,
            "collection.html",
            collection=record,
            usage=page.backend.storage_usage(entity, project, name),
            versions=versions[: paging.size],
            paging=paging,
            tag=tag.strip(),
            can_write=ui.can_write(page, entity, project),
            history=history_section(page, entity, project, name, history_alias, history_before),
            event_labels=EVENT_LABELS,
            deleted=page.backend.list_deleted_versions(entity, project, name)[:DELETED_SHOWN],
        )

    return router
