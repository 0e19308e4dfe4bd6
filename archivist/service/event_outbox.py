"""The event outbox: events become delivery rows in the transaction of the change that
caused them, so a change that rolls back sends nothing and one that commits is delivered
even when the process dies right after (``service.dispatch`` sends them).

One ``Outbox`` per Service call collects how many rows it wrote, so the call can wake the
dispatcher of its process once the transaction is committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, exists, insert, select

from archivist.core.automation_events import ChangeEvent
from archivist.core.automation_filters import matches, metric_names, values_needed, without_metrics
from archivist.core.automations import ActionType, DeliveryStatus, EventType
from archivist.metadata.schema import automations, deliveries, entities, run_history
from archivist.service.timestamps import utc_now

_METRIC_EVENTS = (EventType.RUN_METRIC.value, EventType.RUN_METRIC_CHANGE.value)
HISTORY_ROWS_READ = 2000
"""At most this many of a run's latest history rows are read to evaluate metric filters."""


class Outbox:
    def __init__(self, author: str) -> None:
        self.author = author
        self.emitted = 0

    def emit(self, connection: Connection, events: Sequence[ChangeEvent] | ChangeEvent | None) -> None:
        """Write a delivery for each enabled automation each event matches."""
        if events is None:
            return
        for event in [events] if isinstance(events, ChangeEvent) else events:
            self.emitted += emit(connection, event)


def _candidates(connection: Connection, event: ChangeEvent) -> list[Row[Any]]:
    types = _METRIC_EVENTS if event.event_type is EventType.RUN_METRIC else (event.event_type.value,)
    statement = (
        select(automations)
        .join(entities, entities.c.id == automations.c.entity_id)
        .where(
            entities.c.name == event.entity,
            automations.c.enabled.is_(True),
            automations.c.event_type.in_(types),
            automations.c.scope_project.is_(None) | (automations.c.scope_project == event.project),
        )
        .order_by(automations.c.id)
    )
    if event.collection is None:
        statement = statement.where(automations.c.scope_collection.is_(None))
    else:
        statement = statement.where(
            automations.c.scope_collection.is_(None) | (automations.c.scope_collection == event.collection)
        )
    return list(connection.execute(statement))


def emit(connection: Connection, event: ChangeEvent) -> int:
    """The number of deliveries written for ``event``."""
    written = 0
    for automation in _candidates(connection, event):
        variables = dict(event.variables)
        if event.event_type is EventType.RUN_METRIC:
            found = _metric_match(connection, automation, event)
            if found is None:
                continue
            variables.update(found, event_type=automation.event_type)
        elif not matches(automation.filter or {}, variables):
            continue
        _insert(connection, automation, variables, event.run_pk)
        written += 1
    return written


def _metric_match(connection: Connection, automation: Row[Any], event: ChangeEvent) -> dict[str, Any] | None:
    """The metric variables when the automation's filter holds for the run (once per run)."""
    tree = automation.filter or {}
    names = metric_names(tree)
    if not names or not set(names) & set(event.metrics) or event.run_pk is None:
        return None
    if not matches(without_metrics(tree), event.variables):
        return None
    fired = exists().where(deliveries.c.automation_id == automation.id, deliveries.c.run_pk == event.run_pk)
    if connection.execute(select(fired)).scalar():
        return None
    values = _values(connection, event.run_pk, names[0], values_needed(tree))
    if not matches(tree, event.variables, values):
        return None
    return {"metric_name": names[0], "metric_value": values[-1] if values else None}


def _values(connection: Connection, run_pk: int, metric: str, needed: int) -> list[float]:
    rows = connection.execute(
        select(run_history.c.row)
        .where(run_history.c.run_pk == run_pk)
        .order_by(run_history.c.step.desc())
        .limit(HISTORY_ROWS_READ)
    ).scalars()
    values: list[float] = []
    for row in rows:
        value = row.get(metric) if isinstance(row, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values.append(float(value))
            if len(values) >= needed:
                break
    return values[::-1]


def _insert(
    connection: Connection, automation: Row[Any], variables: dict[str, Any], run_pk: int | None
) -> None:
    now = utc_now()
    done = automation.action_type == ActionType.NO_OP.value
    connection.execute(
        insert(deliveries).values(
            public_id=uuid.uuid4().hex,
            automation_id=automation.id,
            event_type=variables.get("event_type", automation.event_type),
            event=variables,
            status=(DeliveryStatus.FINISHED if done else DeliveryStatus.PENDING).value,
            attempts=0,
            next_attempt_at=None if done else now,
            run_pk=run_pk,
            created_at=now,
            finished_at=now if done else None,
        )
    )
