"""The version page (overview) and its edits: aliases, tags, description and TTL.

Edits are POST forms carrying the CSRF token; they are refused with 403 for
users who may not write to the version's entity, and answered with a redirect
back to the page (so reloading does not post again)."""

from __future__ import annotations

import enum

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.core.accounts import ADMIN
from archivist.core.errors import InvalidInputError, PromotionRuleError, RunNotFoundError
from archivist.core.lifecycle import ttl_refusal
from archivist.core.models import RunRecord, VersionRecord, VersionUpdate
from archivist.core.paths import LATEST
from archivist.core.registries import registry_of_project
from archivist.server.ui import urls
from archivist.server.ui.registry_views import link_choices
from archivist.server.ui.routes_lifecycle import ttl_update
from archivist.server.ui.state import FormFields, Page, UiState, route_class

MAX_CONSUMERS_SHOWN = 50
VERSION_PATH = "/artifacts/{entity}/{project}/{name}/{selector}"


class EditableField(str, enum.Enum):
    ALIASES = "aliases"
    TAGS = "tags"
    DESCRIPTION = "description"
    TTL = "ttl"


def usage_snippet(version: VersionRecord) -> str:
    """A link is used by its registry path (the organization is implied)."""
    name = f"{version.project}/{version.collection}" if version.source else version.qualified_collection
    return f'run.use_artifact("{name}:{version.version}")'


def find_version(page: Page, entity: str, project: str, name: str, selector: str) -> VersionRecord:
    return page.backend.resolve_version(entity, project, name, selector)


def producer_of(page: Page, version: VersionRecord) -> RunRecord | None:
    if version.producer is None:
        return None
    try:
        return page.backend.get_run(version.producer)
    except RunNotFoundError:
        return None


def edited_list(current: tuple[str, ...], action: str, value: str) -> list[str]:
    """``current`` with ``value`` added or removed (``action`` is 'add' or 'remove')."""
    value = value.strip()
    if not value:
        raise InvalidInputError("nothing to add or remove: the value is empty")
    if action == "add":
        return [*current, value]
    if action == "remove":
        return [item for item in current if item != value]
    raise InvalidInputError(f"unknown action {action!r}: use 'add' or 'remove'")


def version_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    def overview_page(
        request: Request,
        page: Page,
        version: VersionRecord,
        refused: PromotionRuleError | None = None,
        refused_alias: str = "",
    ) -> Response:
        """The overview; ``refused``: a promotion the alias's rule refused, shown above the
        aliases with an override form for the registry's admins."""
        consumers = page.backend.version_consumers(version.id)
        registry = registry_of_project(version.project) if version.source is not None else None
        return ui.render(
            request,
            "version.html",
            status=409 if refused else 200,
            version=version,
            tab="overview",
            producer=producer_of(page, version),
            consumers=consumers[:MAX_CONSUMERS_SHOWN],
            consumer_count=len(consumers),
            snippet=usage_snippet(version),
            latest=LATEST,
            can_write=ui.can_write(page, version.entity, version.project),
            links=page.backend.list_links(version.id) if version.source is None else [],
            ttl_editable=ttl_refusal(version.type, version.source is not None) is None
            and ui.can_set_ttl(page, version.entity, version.project),
            link_targets=link_choices(ui, page, version),
            refusal=None if refused is None else ui.public_message(refused.message),
            refused_alias=refused_alias,
            can_override=registry is not None and ui.registry_role(page, registry) == ADMIN,
        )

    @router.get(VERSION_PATH)
    def overview(request: Request, entity: str, project: str, name: str, selector: str) -> Response:
        page = ui.page(request)
        return overview_page(request, page, find_version(page, entity, project, name, selector))

    @router.post(VERSION_PATH + "/{field}")
    def edit(
        request: Request,
        entity: str,
        project: str,
        name: str,
        selector: str,
        field: EditableField,
        fields: FormFields,
    ) -> Response:
        page = ui.page(request)
        ui.require_write(page, entity, project)
        version = find_version(page, entity, project, name, selector)
        action, value = fields.get("action", ""), fields.get("value", "")
        if field is EditableField.ALIASES:
            change = VersionUpdate(aliases=edited_list(version.aliases, action, value))
        elif field is EditableField.TAGS:
            change = VersionUpdate(tags=edited_list(version.tags, action, value))
        elif field is EditableField.TTL:
            change = ttl_update(fields)
        else:
            description = fields.get("description", "").replace("\r\n", "\n")
            change = VersionUpdate(description=description or None)
        try:
            updated = page.backend.update_version(
                version.id, change, fields.get("override_reason", "").strip() or None
            )
        except PromotionRuleError as error:
            return overview_page(request, page, version, error, value.strip())
        return RedirectResponse(urls.version_url(updated), status_code=303)

    return router
