"""The Backend's automation and webhook calls, as the Service makes them (each in one
transaction, delegating to ``automation_store``, ``webhooks`` and ``dispatch``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from archivist.core.automations import (
    AttemptRecord,
    AutomationRecord,
    DeliveryRecord,
    NewAutomation,
    WebhookRecord,
)
from archivist.core.payload_templates import validate_template
from archivist.metadata.engine import read_transaction, write_transaction
from archivist.service import automation_store, webhooks
from archivist.service.dispatch import DeliveryPolicy, request_of, send
from archivist.service.dispatcher import Dispatcher
from archivist.service.event_outbox import Outbox
from archivist.service.webhook_urls import UrlPolicy

if TYPE_CHECKING:
    pass


class AutomationCalls:
    engine: Engine
    urls: UrlPolicy
    dispatcher: Dispatcher | None
    delivery_policy: DeliveryPolicy

    def event_author(self) -> str:
        raise NotImplementedError  # the Service's

    def outbox(self) -> Outbox:
        return Outbox(self.event_author())

    def delivered_soon(self, outbox: Outbox) -> None:
        """After the transaction that wrote ``outbox`` committed: wake the dispatcher."""
        if outbox.emitted and self.dispatcher is not None:
            self.dispatcher.wake()

    def create_webhook(
        self,
        entity: str,
        name: str,
        url: str,
        signing_secret: str | None = None,
        access_token: str | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> WebhookRecord:
        with write_transaction(self.engine) as connection:
            return webhooks.create_webhook(
                connection, entity, name, url, self.urls, signing_secret, access_token, secrets
            )

    def list_webhooks(self, entity: str) -> list[WebhookRecord]:
        with read_transaction(self.engine) as connection:
            return webhooks.list_webhooks(connection, entity)

    def delete_webhook(self, entity: str, name: str) -> None:
        with write_transaction(self.engine) as connection:
            webhooks.delete_webhook(connection, entity, name)

    def test_webhook(self, entity: str, name: str, payload: Any = None) -> AttemptRecord:
        with read_transaction(self.engine) as connection:
            row = webhooks.require_webhook_row(connection, entity, name)
        variables = {"event_type": "TEST", "event_author": self.event_author(), "entity_name": entity}
        template = None if payload is None else validate_template(payload, tuple(row.secrets or {}))
        body, headers = request_of("test", variables, template, row, time.time())
        import httpx  # here: a process that tests no webhook never needs it

        with httpx.Client(timeout=self.delivery_policy.timeout_seconds, follow_redirects=False) as client:
            return send(client, row.url, body, headers, self.urls).attempt

    def create_automation(self, automation: NewAutomation) -> AutomationRecord:
        with write_transaction(self.engine) as connection:
            return automation_store.create_automation(connection, automation)

    def list_automations(
        self, entity: str, project: str | None = None, collection: str | None = None
    ) -> list[AutomationRecord]:
        with read_transaction(self.engine) as connection:
            return automation_store.list_automations(connection, entity, project, collection)

    def update_automation(self, entity: str, name: str, automation: NewAutomation) -> AutomationRecord:
        with write_transaction(self.engine) as connection:
            return automation_store.update_automation(connection, entity, name, automation)

    def delete_automation(self, entity: str, name: str) -> None:
        with write_transaction(self.engine) as connection:
            automation_store.delete_automation(connection, entity, name)

    def automation_history(self, entity: str, name: str, limit: int = 100) -> list[DeliveryRecord]:
        with read_transaction(self.engine) as connection:
            return automation_store.history(connection, entity, name, limit)

    def redeliver(self, entity: str, delivery_id: str) -> DeliveryRecord:
        with write_transaction(self.engine) as connection:
            found = automation_store.redeliver(connection, entity, delivery_id)
        if self.dispatcher is not None:
            self.dispatcher.wake()
        return found

    def wait_for_deliveries(self, timeout: float) -> int:
        if self.dispatcher is None:
            return 0
        return self.dispatcher.drain(timeout)
