"""Webhook integrations of an entity: saved with their secrets, read back without them."""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from archivist.core.automations import WebhookRecord, validate_automation_name, validate_secret_names
from archivist.core.errors import ConflictError, InvalidInputError, NotFoundError
from archivist.metadata.schema import automations, entities, webhooks
from archivist.service.namespaces import ensure_entity
from archivist.service.timestamps import to_iso, utc_now
from archivist.service.webhook_urls import UrlPolicy, check_url, validate_url

_SELECT = select(webhooks, entities.c.name.label("entity")).join(
    entities, entities.c.id == webhooks.c.entity_id
)


def _record(row: Row[Any], signing_secret: str | None = None) -> WebhookRecord:
    return WebhookRecord(
        id=row.id,
        entity=row.entity,
        name=row.name,
        url=row.url,
        has_access_token=row.access_token is not None,
        secret_names=tuple(sorted(row.secrets or {})),
        created_at=to_iso(row.created_at),
        signing_secret=signing_secret,
    )


def create_webhook(
    connection: Connection,
    entity: str,
    name: str,
    url: str,
    policy: UrlPolicy,
    signing_secret: str | None = None,
    access_token: str | None = None,
    secrets: Mapping[str, str] | None = None,
) -> WebhookRecord:
    """Save a webhook; the answer carries the signing secret only when the store made it."""
    name = validate_automation_name(name, "webhook name")
    check_url(validate_url(url), policy)
    checked = validate_secret_names(secrets)
    for value, what in ((signing_secret, "signing secret"), (access_token, "access token")):
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidInputError(f"a webhook's {what} is a non-empty string, not {value!r}")
    entity_id = ensure_entity(connection, entity)
    if find_webhook(connection, entity, name) is not None:
        raise ConflictError(
            f"webhook {name!r} of {entity!r} already exists; delete it first or use another name"
        )
    made = random_secrets.token_hex(32) if signing_secret is None else None
    connection.execute(
        insert(webhooks).values(
            entity_id=entity_id,
            name=name,
            url=url,
            signing_secret=signing_secret or made,
            access_token=access_token,
            secrets=checked,
            created_at=utc_now(),
        )
    )
    return _record(require_webhook_row(connection, entity, name), made)


def find_webhook(connection: Connection, entity: str, name: str) -> Row[Any] | None:
    return connection.execute(_SELECT.where(entities.c.name == entity, webhooks.c.name == name)).first()


def require_webhook_row(connection: Connection, entity: str, name: object) -> Row[Any]:
    found = find_webhook(connection, entity, name) if isinstance(name, str) else None
    if found is None:
        raise NotFoundError(f"webhook {name!r} of entity {entity!r} not found")
    return found


def webhook_row_by_id(connection: Connection, webhook_id: int) -> Row[Any]:
    return connection.execute(_SELECT.where(webhooks.c.id == webhook_id)).one()


def list_webhooks(connection: Connection, entity: str) -> list[WebhookRecord]:
    rows = connection.execute(_SELECT.where(entities.c.name == entity).order_by(webhooks.c.name))
    return [_record(row) for row in rows]


def delete_webhook(connection: Connection, entity: str, name: str) -> None:
    row = require_webhook_row(connection, entity, name)
    users = list(
        connection.execute(select(automations.c.name).where(automations.c.webhook_id == row.id)).scalars()
    )
    if users:
        raise ConflictError(
            f"webhook {name!r} is used by the automations {users}; delete or change them first"
        )
    connection.execute(delete(webhooks).where(webhooks.c.id == row.id))


def secrets_of(row: Row[Any]) -> dict[str, str]:
    """The values a payload template may name: the named secrets and ``ACCESS_TOKEN``."""
    found = dict(row.secrets or {})
    if row.access_token is not None:
        found["ACCESS_TOKEN"] = row.access_token
    return found
