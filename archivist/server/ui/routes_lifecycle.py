"""Lifecycle controls of the UI: a version's TTL policy (the form on the version page), a
collection's retention rule, and restoring deleted versions from the collection page's
"Deleted versions" list. Each is a POST form with the CSRF token, refused with 403 for
users who may not write, answered with a redirect back."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.core.errors import InvalidInputError
from archivist.core.lifecycle import TTL_DISABLED, TTL_INHERIT, RetentionRule
from archivist.core.models import CollectionUpdate, VersionUpdate
from archivist.server.ui import urls
from archivist.server.ui.state import FormFields, UiState, route_class

COLLECTION_PATH = "/artifacts/{entity}/{project}/{name}"
DAY = 86400


def ttl_update(fields: dict[str, str]) -> VersionUpdate:
    """The form's choice: ``custom`` (``days``), ``none`` (deactivate) or ``inherit``."""
    mode = fields.get("mode", "")
    if mode == "none":
        return VersionUpdate(ttl_seconds=TTL_DISABLED)
    if mode == "inherit":
        return VersionUpdate(ttl_seconds=TTL_INHERIT)
    if mode == "custom":
        return VersionUpdate(ttl_seconds=_days(fields.get("days", ""), "TTL") * DAY)
    raise InvalidInputError(f"unknown TTL choice {mode!r}: use custom, none or inherit")


def _days(text: str, what: str) -> int:
    if not text.strip().isdigit() or int(text) <= 0:
        raise InvalidInputError(f"invalid {what} {text!r}: give a positive whole number of days")
    return int(text)


def _retention(fields: dict[str, str]) -> RetentionRule | None:
    if fields.get("action") == "clear":
        return None
    keep = fields.get("keep_last", "").strip()
    age = fields.get("max_age_days", "").strip()
    if keep and (not keep.isdigit() or int(keep) <= 0):
        raise InvalidInputError(f"invalid number of versions to keep {keep!r}: give a positive whole number")
    rule = RetentionRule(int(keep) if keep else None, _days(age, "age") * DAY if age else None)
    return None if rule.is_empty else rule


def lifecycle_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.post(COLLECTION_PATH + "/restore")
    def restore(request: Request, entity: str, project: str, name: str, fields: FormFields) -> Response:
        page = ui.page(request)
        ui.require_write(page, entity, project)
        index = fields.get("version_index", "")
        if not index.isdigit():
            raise InvalidInputError(f"invalid version number {index!r} to restore")
        restored = page.backend.restore_version(entity, project, name, int(index))
        return RedirectResponse(urls.version_url(restored), status_code=303)

    @router.post(COLLECTION_PATH + "/retention")
    def retention(request: Request, entity: str, project: str, name: str, fields: FormFields) -> Response:
        page = ui.page(request)
        ui.require_write(page, entity, project)
        change = CollectionUpdate(retention=_retention(fields))
        page.backend.update_collection(entity, project, name, change)
        return RedirectResponse(urls.collection_url(entity, project, name), status_code=303)

    return router
