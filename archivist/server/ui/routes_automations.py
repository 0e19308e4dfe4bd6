"""The Automations tab of a project, registry (a project of the organization) or
collection: the automations whose scope holds it, a form to create one, and each one's
delivery history with every attempt."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.core.automations import Action, ActionType, EventType, NewAutomation, scope_for
from archivist.core.errors import InvalidInputError
from archivist.server.ui.state import FormFields, UiState, route_class
from archivist.server.ui.urls import automation_history_url, automations_url

HISTORY_SHOWN = 100


def _filter_of(fields: dict[str, str]) -> dict[str, Any]:
    """The form's filter: a field, how it matches, and the value (blank: no filter)."""
    value = fields.get("filter_value", "").strip()
    if not value:
        return {}
    on, how = fields.get("filter_field", "alias"), fields.get("filter_op", "eq")
    if how == "in":
        return {"field": on, "op": how, "value": [v.strip() for v in value.split(",") if v.strip()]}
    return {"field": on, "op": how, "value": value}


def _payload_of(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidInputError(f"the payload template is JSON: {error}") from None


def automation_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.get("/automations/{entity}/{project}")
    def automations(request: Request, entity: str, project: str, collection: str = "") -> Response:
        page = ui.page(request)
        found = page.backend.list_automations(entity, project, collection or None)
        can_write = ui.can_write(page, entity)
        hooks = page.backend.list_webhooks(entity) if can_write else []
        return ui.render(
            request,
            "automations.html",
            entity=entity,
            project=project,
            collection=collection,
            automations=found,
            webhooks=hooks,
            events=[event.value for event in EventType],
            can_write=can_write,
            history_url=automation_history_url,
            form_url=automations_url(entity, project, collection or None),
        )

    @router.post("/automations/{entity}/{project}")
    def create(
        request: Request, entity: str, project: str, fields: FormFields, collection: str = ""
    ) -> Response:
        page = ui.page(request)
        ui.require_write(page, entity)
        webhook = fields.get("webhook", "")
        action = (
            Action(ActionType.GENERIC_WEBHOOK, webhook, _payload_of(fields.get("payload", "")))
            if webhook
            else Action(ActionType.NO_OP)
        )
        new = NewAutomation(
            name=fields.get("name", ""),
            scope=scope_for(entity, project, collection or None),
            event_type=_event_of(fields.get("event", "")),
            action=action,
            filter=_filter_of(fields),
            description=fields.get("description") or None,
            enabled=True,
        )
        page.backend.create_automation(new)
        return RedirectResponse(automations_url(entity, project, collection or None), status_code=303)

    @router.get("/automations/{entity}/{project}/history/{name}")
    def history(request: Request, entity: str, project: str, name: str) -> Response:
        page = ui.page(request)
        deliveries = page.backend.automation_history(entity, name, HISTORY_SHOWN)
        return ui.render(
            request,
            "automation_history.html",
            entity=entity,
            project=project,
            name=name,
            deliveries=deliveries,
            back_url=automations_url(entity, project),
        )

    return router


def _event_of(text: str) -> EventType:
    try:
        return EventType(text)
    except ValueError:
        raise InvalidInputError(
            f"unknown event {text!r}: use one of {[e.value for e in EventType]}"
        ) from None
