"""The registry pages: the registries (and a create form), a registry's collections, a
collection's links (link a version, unlink), and a version's "Link to registry" action.

Edits are POST forms carrying the CSRF token. Controls show only to users whose role in
the registry allows them (``UiState.registry_role``, the API's rule on a server); the
calls themselves are checked again by the UiBackend, as API calls are."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.core.errors import InvalidInputError, PermissionDeniedError, PromotionRuleError
from archivist.core.models import VersionUpdate
from archivist.core.paths import parse_artifact_path
from archivist.core.registries import (
    DEFAULT_MEMBER_ROLE,
    ORGANIZATION,
    REGISTRY_ROLES,
    RegistryRecord,
    Visibility,
    validate_registry_collection,
    validate_registry_name,
)
from archivist.server.ui import urls
from archivist.server.ui.history_view import EVENT_LABELS, go_to_version, history_section
from archivist.server.ui.paging import Paging
from archivist.server.ui.registry_views import (
    accepted_types,
    collection_rows,
    collection_view,
    member_kind,
    split_aliases,
    visibility_name,
)
from archivist.server.ui.routes_registry_access import is_registry_admin, registry_access_routes
from archivist.server.ui.routes_version import VERSION_PATH, find_version
from archivist.server.ui.state import FormFields, Page, PageNumber, UiState, route_class

COLLECTIONS_PER_PAGE = 100
LINKS_PER_PAGE = 50


@dataclass(frozen=True)
class Refusal:
    """A promotion its rule refused: the link, the alias and the store's message."""

    version: str
    alias: str
    message: str


def _require_registry_write(ui: UiState, page: Page, registry: str) -> None:
    if not ui.can_write_registry(page, registry):
        role = ui.registry_role(page, registry) or "no role"
        raise PermissionDeniedError(
            f"user {page.user.name!r} has {role} in registry {registry!r}: linking, unlinking and "
            "moving aliases need member or admin"
        )


def _link(page: Page, version_id: str, registry: str, collection: str, aliases: str) -> str:
    """Link and return the link's version page."""
    link = page.backend.link_version(
        version_id, registry, validate_registry_collection(collection.strip()), split_aliases(aliases)
    )
    return urls.version_url(link)


def registry_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.get("/registries")
    def registries(request: Request) -> Response:
        page = ui.page(request)
        return ui.render(
            request,
            "registries.html",
            registries=page.backend.list_registries(),
            accepted_types=accepted_types,
            visibility_name=visibility_name,
            can_create=ui.can_create_registry(page),
            visibilities=[v.value for v in Visibility],
        )

    @router.post("/registries")
    def create(request: Request, fields: FormFields) -> Response:
        page = ui.page(request)
        if not ui.can_create_registry(page):
            raise PermissionDeniedError(
                f"user {page.user.name!r} may not create registries: that needs admin of the organization"
            )
        name = validate_registry_name(fields.get("name", "").strip())
        types = split_aliases(fields.get("types", ""))
        record = page.backend.create_registry(
            name,
            fields.get("visibility", Visibility.ORGANIZATION.value),
            fields.get("description", "").replace("\r\n", "\n").strip() or None,
            types,
            allow_all_artifact_types=not types,
        )
        return RedirectResponse(urls.registry_url(record.name), status_code=303)

    @router.get("/registries/{name}")
    def registry(request: Request, name: str, page_number: PageNumber = 1) -> Response:
        page = ui.page(request)
        record = page.backend.get_registry(name)
        paging = Paging(page_number, COLLECTIONS_PER_PAGE, None)
        rows = collection_rows(page.backend, record, paging.offset, paging.size + 1)
        return ui.render(
            request,
            "registry.html",
            registry=record,
            rows=rows[: paging.size],
            paging=paging.with_more(len(rows) > paging.size),
            accepted_types=accepted_types,
            visibility_name=visibility_name,
            members=page.backend.list_registry_members(record.name),
            member_kind=member_kind,
            is_admin=is_registry_admin(ui, page, record.name),
            roles=REGISTRY_ROLES,
            default_role=DEFAULT_MEMBER_ROLE,
        )

    def collection_page(
        request: Request,
        page: Page,
        record: RegistryRecord,
        collection: str,
        page_number: int = 1,
        history_alias: str = "",
        history_before: str = "",
        refusal: Refusal | None = None,
    ) -> Response:
        """The collection page, with its History section, and a promotion refused by its rule."""
        paging = Paging(page_number, LINKS_PER_PAGE, None)
        view = collection_view(page.backend, record, collection, paging.offset, paging.size)
        history = history_section(
            page,
            ORGANIZATION,
            record.project,
            view.collection.name,
            history_alias,
            history_before,
        )
        return ui.render(
            request,
            "registry_collection.html",
            status=409 if refusal else 200,
            view=view,
            links=view.links,
            paging=Paging(paging.number, LINKS_PER_PAGE, view.collection.version_count),
            can_write=ui.can_write_registry(page, record.name),
            is_admin=is_registry_admin(ui, page, record.name),
            history=history,
            history_base=urls.registry_collection_url(record.name, view.collection.name),
            event_labels=EVENT_LABELS,
            refusal=refusal,
        )

    @router.get("/registries/{name}/{collection}")
    def registry_collection(
        request: Request,
        name: str,
        collection: str,
        q: str = "",
        as_of: str = "",
        history_alias: str = "",
        history_before: str = "",
        page_number: PageNumber = 1,
    ) -> Response:
        page = ui.page(request)
        record = page.backend.get_registry(name)
        found = go_to_version(page, ORGANIZATION, record.project, collection, q, as_of)
        if found is not None:
            return found
        return collection_page(
            request,
            page,
            record,
            collection,
            page_number,
            history_alias=history_alias,
            history_before=history_before,
        )

    @router.post("/registries/{name}/{collection}/alias")
    def set_alias(request: Request, name: str, collection: str, fields: FormFields) -> Response:
        """Give a link an alias (moving it); a promotion rule's refusal is shown on the page,
        with an override form for the registry's admins."""
        page = ui.page(request)
        record = page.backend.get_registry(name)
        _require_registry_write(ui, page, record.name)
        selector, alias = fields.get("version", "").strip(), fields.get("alias", "").strip()
        reason = fields.get("override_reason", "").strip() or None
        link = page.backend.resolve_version(ORGANIZATION, record.project, collection, selector)
        try:
            page.backend.update_version(link.id, VersionUpdate(aliases=[*link.aliases, alias]), reason)
        except PromotionRuleError as error:
            refusal = Refusal(link.version, alias, ui.public_message(error.message))
            return collection_page(request, page, record, collection, 1, refusal=refusal)
        return RedirectResponse(urls.registry_collection_url(record.name, collection), status_code=303)

    @router.post("/registries/{name}/{collection}/link")
    def link_into_collection(request: Request, name: str, collection: str, fields: FormFields) -> Response:
        page = ui.page(request)
        record = page.backend.get_registry(name)
        _require_registry_write(ui, page, record.name)
        source = parse_artifact_path(fields.get("source", "").strip())
        if source.entity is None or source.project is None:
            raise InvalidInputError(
                f"give the version to link as entity/project/name:vN (or :alias), got {str(source)!r}"
            )
        version = page.backend.resolve_version(source.entity, source.project, source.name, source.selector)
        _link(page, version.id, record.name, collection, fields.get("aliases", ""))
        return RedirectResponse(urls.registry_collection_url(record.name, collection), status_code=303)

    @router.post("/registries/{name}/{collection}/{selector}/unlink")
    def unlink(request: Request, name: str, collection: str, selector: str, fields: FormFields) -> Response:
        page = ui.page(request)
        record = page.backend.get_registry(name)
        _require_registry_write(ui, page, record.name)
        link = page.backend.resolve_version(ORGANIZATION, record.project, collection, selector)
        if link.source is None:
            raise InvalidInputError(f"{collection}:{selector} of registry {record.name!r} is not a link")
        page.backend.delete_version(link.id, delete_aliases=True)
        return RedirectResponse(urls.registry_collection_url(record.name, collection), status_code=303)

    @router.post(VERSION_PATH + "/link")
    def link_version(
        request: Request, entity: str, project: str, name: str, selector: str, fields: FormFields
    ) -> Response:
        page = ui.page(request)
        registry = validate_registry_name(fields.get("registry", "").strip())
        _require_registry_write(ui, page, registry)
        version = find_version(page, entity, project, name, selector)
        target = _link(page, version.id, registry, fields.get("collection", ""), fields.get("aliases", ""))
        return RedirectResponse(target, status_code=303)

    router.include_router(registry_access_routes(ui))
    return router
