"""Automations of an entity: saved, listed, changed, deleted; their deliveries read back
and redelivered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from archivist.core.automation_filters import validate_filter
from archivist.core.automations import (
    Action,
    ActionType,
    AttemptRecord,
    AutomationRecord,
    DeliveryRecord,
    DeliveryStatus,
    EventType,
    NewAutomation,
    Scope,
    ScopeType,
    validate_automation_name,
    validate_scope,
)
from archivist.core.errors import ConflictError, InvalidInputError, NotFoundError
from archivist.core.payload_templates import validate_template
from archivist.metadata.schema import automations, deliveries, delivery_attempts, entities
from archivist.service.namespaces import ensure_entity
from archivist.service.timestamps import to_iso, utc_now
from archivist.service.validation import parse_enum
from archivist.service.webhooks import require_webhook_row, webhook_row_by_id

_LAST = (
    select(func.max(deliveries.c.created_at))
    .where(deliveries.c.automation_id == automations.c.id)
    .scalar_subquery()
    .label("last_delivery_at")
)
_SELECT = select(automations, entities.c.name.label("entity"), _LAST).join(
    entities, entities.c.id == automations.c.entity_id
)
_RUN_EVENTS_ONLY = (
    "run events (RUN_STATE, RUN_METRIC, RUN_METRIC_CHANGE) are scoped to a project or an entity"
)


def _record(connection: Connection, row: Row[Any]) -> AutomationRecord:
    webhook = None if row.webhook_id is None else webhook_row_by_id(connection, row.webhook_id).name
    return AutomationRecord(
        id=row.id,
        name=row.name,
        scope=Scope(ScopeType(row.scope_type), row.entity, row.scope_project, row.scope_collection),
        event_type=EventType(row.event_type),
        action=Action(ActionType(row.action_type), webhook, row.payload),
        filter=row.filter or {},
        description=row.description,
        enabled=row.enabled,
        created_at=to_iso(row.created_at),
        updated_at=to_iso(row.updated_at),
        last_delivery_at=_iso(row.last_delivery_at),
    )


def _values(connection: Connection, new: NewAutomation) -> dict[str, Any]:
    """The columns of a checked automation."""
    scope = validate_scope(new.scope)
    event = parse_enum(EventType, new.event_type, "event type")
    if event.is_run_event and scope.scope_type is ScopeType.ARTIFACT_COLLECTION:
        raise InvalidInputError(f"{event.value}: {_RUN_EVENTS_ONLY}")
    action = new.action
    kind = parse_enum(ActionType, action.action_type, "action type")
    webhook_id = None
    if kind is ActionType.GENERIC_WEBHOOK:
        if action.webhook is None:
            raise InvalidInputError("a webhook action names a webhook of the scope's entity")
        webhook = require_webhook_row(connection, scope.entity, action.webhook)
        webhook_id = webhook.id
        if action.payload is not None:
            validate_template(action.payload, tuple(webhook.secrets or {}))
    if not isinstance(new.enabled, bool):
        raise InvalidInputError(f"enabled is true or false, not {new.enabled!r}")
    if new.description is not None and not isinstance(new.description, str):
        raise InvalidInputError(f"an automation's description is text, not {new.description!r}")
    return {
        "name": validate_automation_name(new.name),
        "description": new.description,
        "enabled": new.enabled,
        "scope_type": scope.scope_type.value,
        "scope_project": scope.project,
        "scope_collection": scope.collection,
        "event_type": event.value,
        "filter": validate_filter(new.filter),
        "action_type": kind.value,
        "webhook_id": webhook_id,
        "payload": action.payload if kind is ActionType.GENERIC_WEBHOOK else None,
    }


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # a max() over SQLite answers the stored text
        return moment
    return to_iso(moment)


def find_automation(connection: Connection, entity: str, name: object) -> Row[Any] | None:
    if not isinstance(name, str):
        return None
    return connection.execute(_SELECT.where(entities.c.name == entity, automations.c.name == name)).first()


def require_automation(connection: Connection, entity: str, name: object) -> Row[Any]:
    found = find_automation(connection, entity, name)
    if found is None:
        raise NotFoundError(f"automation {name!r} of entity {entity!r} not found")
    return found


def create_automation(connection: Connection, new: NewAutomation) -> AutomationRecord:
    values = _values(connection, new)
    entity = new.scope.entity
    if find_automation(connection, entity, values["name"]) is not None:
        raise ConflictError(f"automation {values['name']!r} of {entity!r} already exists")
    now = utc_now()
    connection.execute(
        insert(automations).values(
            entity_id=ensure_entity(connection, entity), created_at=now, updated_at=now, **values
        )
    )
    return _record(connection, require_automation(connection, entity, values["name"]))


def update_automation(connection: Connection, entity: str, name: str, new: NewAutomation) -> AutomationRecord:
    """Replace every field of the automation (its scope stays in the same entity)."""
    row = require_automation(connection, entity, name)
    if new.scope.entity != entity:
        raise InvalidInputError(f"automation {name!r} stays in entity {entity!r}; not {new.scope.entity!r}")
    values = _values(connection, new)
    clash = find_automation(connection, entity, values["name"])
    if clash is not None and clash.id != row.id:
        raise ConflictError(f"automation {values['name']!r} of {entity!r} already exists")
    connection.execute(
        update(automations).where(automations.c.id == row.id).values(updated_at=utc_now(), **values)
    )
    return _record(connection, require_automation(connection, entity, values["name"]))


def list_automations(
    connection: Connection, entity: str, project: str | None = None, collection: str | None = None
) -> list[AutomationRecord]:
    """The entity's automations; with ``project`` (and ``collection``) those whose scope
    holds it: the entity's, the project's (and the collection's)."""
    statement = _SELECT.where(entities.c.name == entity)
    if project is not None:
        statement = statement.where(
            (automations.c.scope_project.is_(None)) | (automations.c.scope_project == project)
        )
        if collection is not None:
            statement = statement.where(
                (automations.c.scope_collection.is_(None)) | (automations.c.scope_collection == collection)
            )
        else:
            statement = statement.where(automations.c.scope_collection.is_(None))
    return [_record(connection, row) for row in connection.execute(statement.order_by(automations.c.name))]


def delete_automation(connection: Connection, entity: str, name: str) -> None:
    row = require_automation(connection, entity, name)
    ids = select(deliveries.c.id).where(deliveries.c.automation_id == row.id)
    connection.execute(delete(delivery_attempts).where(delivery_attempts.c.delivery_id.in_(ids)))
    connection.execute(delete(deliveries).where(deliveries.c.automation_id == row.id))
    connection.execute(delete(automations).where(automations.c.id == row.id))


def history(connection: Connection, entity: str, name: str, limit: int = 100) -> list[DeliveryRecord]:
    """The automation's deliveries, newest first, each with its attempts in order."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise InvalidInputError(f"invalid limit {limit!r}: use 1 to 10000")
    row = require_automation(connection, entity, name)
    found = connection.execute(
        select(deliveries)
        .where(deliveries.c.automation_id == row.id)
        .order_by(deliveries.c.id.desc())
        .limit(limit)
    ).all()
    return delivery_records(connection, found, row.name)


def delivery_records(
    connection: Connection, rows: Sequence[Row[Any]], automation: str
) -> list[DeliveryRecord]:
    attempts: dict[int, list[AttemptRecord]] = {row.id: [] for row in rows}
    if rows:
        for attempt in connection.execute(
            select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id.in_(list(attempts)))
            .order_by(delivery_attempts.c.id)
        ):
            attempts[attempt.delivery_id].append(
                AttemptRecord(
                    attempted_at=to_iso(attempt.attempted_at),
                    status_code=attempt.status_code,
                    duration_ms=attempt.duration_ms,
                    response_start=attempt.response_start,
                    error=attempt.error,
                )
            )
    return [
        DeliveryRecord(
            id=row.public_id,
            automation=automation,
            event_type=EventType(row.event_type),
            status=DeliveryStatus(row.status),
            created_at=to_iso(row.created_at),
            next_attempt_at=_iso(row.next_attempt_at),
            event=row.event,
            attempts=tuple(attempts[row.id]),
            hold_reason=row.hold_reason,
        )
        for row in rows
    ]


def redeliver(connection: Connection, entity: str, delivery_id: object) -> DeliveryRecord:
    """Send a delivery again from a fresh budget of attempts (same delivery id)."""
    row = connection.execute(
        select(deliveries, automations.c.name.label("automation"))
        .join(automations, automations.c.id == deliveries.c.automation_id)
        .join(entities, entities.c.id == automations.c.entity_id)
        .where(entities.c.name == entity, deliveries.c.public_id == str(delivery_id))
    ).first()
    if row is None or not isinstance(delivery_id, str):
        raise NotFoundError(f"delivery {delivery_id!r} of entity {entity!r} not found")
    connection.execute(
        update(deliveries)
        .where(deliveries.c.id == row.id)
        .values(
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utc_now(),
            lease_owner=None,
            lease_expires_at=None,
            finished_at=None,
        )
    )
    fresh = connection.execute(select(deliveries).where(deliveries.c.id == row.id)).one()
    return delivery_records(connection, [fresh], row.automation)[0]
