"""What ``Api`` answers about automations and webhooks: ``Automation`` (edit its fields,
then ``api.update_automation(automation)``; ``history()``) and ``Webhook`` (``test()``,
``delete()``)."""

from __future__ import annotations

from typing import Any

from archivist.core.automations import (
    Action,
    AttemptRecord,
    AutomationRecord,
    DeliveryRecord,
    EventType,
    NewAutomation,
    Scope,
    WebhookRecord,
)
from archivist.core.errors import ConflictError, NotFoundError
from archivist.sdk.automations import PreparedAutomation
from archivist.sdk.context import Context


class Webhook:
    """A webhook integration of an entity (its secrets are never read back)."""

    def __init__(self, ctx: Context, record: WebhookRecord) -> None:
        self._ctx = ctx
        self._record = record

    id = property(lambda self: self._record.id)
    name = property(lambda self: self._record.name)
    entity = property(lambda self: self._record.entity)
    url = property(lambda self: self._record.url)
    has_access_token = property(lambda self: self._record.has_access_token)
    secret_names = property(lambda self: list(self._record.secret_names))
    created_at = property(lambda self: self._record.created_at)

    @property
    def signing_secret(self) -> str | None:
        """The secret the store generated, in the object ``create_webhook`` returned only."""
        return self._record.signing_secret

    def test(self, payload: Any = None) -> AttemptRecord:
        """Send a signed sample request now; the receiver's answer (or the error)."""
        return self._ctx.backend.test_webhook(self.entity, self.name, payload)

    def delete(self) -> None:
        self._ctx.backend.delete_webhook(self.entity, self.name)

    def __repr__(self) -> str:
        return f"<Webhook {self.entity}/{self.name} {self.url}>"


class Automation:
    """A saved automation; change ``name``, ``description``, ``enabled``, ``filter`` or
    ``action``, then ``api.update_automation(automation)``."""

    def __init__(self, ctx: Context, record: AutomationRecord) -> None:
        self._ctx = ctx
        self._load(record)

    def _load(self, record: AutomationRecord) -> None:
        self._record = record
        self._saved_name = record.name
        self.name: str = record.name
        self.description: str | None = record.description
        self.enabled: bool = record.enabled
        self.filter: dict[str, Any] = dict(record.filter)
        self.action: Action = record.action

    id = property(lambda self: self._record.id)
    scope: Scope = property(lambda self: self._record.scope)  # type: ignore[assignment]
    event_type: EventType = property(lambda self: self._record.event_type)  # type: ignore[assignment]
    created_at = property(lambda self: self._record.created_at)
    updated_at = property(lambda self: self._record.updated_at)
    last_delivery_at = property(lambda self: self._record.last_delivery_at)

    @property
    def entity(self) -> str:
        return self._record.scope.entity

    def to_new(self) -> NewAutomation:
        return NewAutomation(
            self.name, self.scope, self.event_type, self.action, self.filter, self.description, self.enabled
        )

    def history(self, limit: int = 100) -> list[DeliveryRecord]:
        """Its deliveries, newest first, each with every attempt (status, answer, error)."""
        return self._ctx.backend.automation_history(self.entity, self._saved_name, limit)

    def redeliver(self, delivery_id: str) -> DeliveryRecord:
        return self._ctx.backend.redeliver(self.entity, delivery_id)

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"<Automation {self.name!r} {self.event_type.value} on {self.scope.label} ({state})>"


def create_automation(
    ctx: Context,
    prepared: PreparedAutomation,
    name: str,
    description: str | None,
    enabled: bool,
    fetch_existing: bool,
) -> Automation:
    if not isinstance(prepared, PreparedAutomation):
        raise TypeError(f"create_automation takes `event >> action`, not {prepared!r}")
    new = prepared.to_new(name, description, enabled)
    try:
        return Automation(ctx, ctx.backend.create_automation(new))
    except ConflictError:
        if not fetch_existing:
            raise
    found = [a for a in ctx.backend.list_automations(new.scope.entity) if a.name == name]
    return Automation(ctx, found[0])


def update_automation(ctx: Context, automation: Automation, **changes: Any) -> Automation:
    for key, value in changes.items():
        if key not in ("name", "description", "enabled", "filter", "action"):
            raise TypeError(
                f"update_automation cannot change {key!r}: name, description, enabled, filter, action"
            )
        setattr(automation, key, value)
    record = ctx.backend.update_automation(automation.entity, automation._saved_name, automation.to_new())
    automation._load(record)
    return automation


def find_automation(ctx: Context, entity: str, name: str) -> Automation:
    for record in ctx.backend.list_automations(entity):
        if record.name == name:
            return Automation(ctx, record)
    raise NotFoundError(f"automation {name!r} of entity {entity!r} not found")
