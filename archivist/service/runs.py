"""Runs: created (or resumed) by ``init``, updated while they run, read back as records.

A run left in state ``running`` by a process that died on this host reads as
crashed, and the first read that notices stores it so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, insert, update

from archivist.core.automation_events import run_state_event
from archivist.core.errors import InvalidInputError, RunNotFoundError
from archivist.core.models import UNSET, RunRecord, RunRef, RunSpec, RunState, RunUpdate
from archivist.core.names import validate_run_id
from archivist.metadata.engine import read_transaction, write_transaction
from archivist.metadata.schema import entities, projects, runs
from archivist.service.event_outbox import Outbox
from archivist.service.namespaces import ensure_project
from archivist.service.records import run_record, run_select
from archivist.service.timestamps import utc_now
from archivist.service.validation import (
    parse_enum,
    validate_count,
    validate_json_object,
    validate_optional_text,
    validate_run_tags,
)


def _by_ref(ref: RunRef) -> Select[Any]:
    return run_select().where(
        entities.c.name == ref.entity, projects.c.name == ref.project, runs.c.run_id == ref.run_id
    )


def require_run(connection: Connection, ref: RunRef) -> Row[Any]:
    if not isinstance(ref, RunRef):
        raise InvalidInputError(f"expected a RunRef, got {type(ref).__name__}: {ref!r}")
    row = connection.execute(_by_ref(ref)).first()
    if row is None:
        raise RunNotFoundError(f"run '{ref.path}' not found")
    return row


def upsert_run(connection: Connection, spec: RunSpec) -> RunRecord:
    """Create the run, or resume it: state running again, with the new host and pid."""
    ref = spec.ref
    validate_run_id(ref.run_id)
    now = utc_now()
    row = connection.execute(_by_ref(ref)).first()
    if row is not None:
        connection.execute(
            update(runs)
            .where(runs.c.id == row.id)
            .values(
                state=RunState.RUNNING.value,
                host=validate_optional_text(spec.host, "host"),
                pid=validate_count(spec.pid, "pid", optional=True),
                updated_at=now,
            )
        )
        return run_record(require_run(connection, ref))
    project_id = ensure_project(connection, ref.entity, ref.project)
    connection.execute(
        insert(runs).values(
            project_id=project_id,
            run_id=ref.run_id,
            name=validate_optional_text(spec.name, "run name") or ref.run_id,
            job_type=validate_optional_text(spec.job_type, "job_type"),
            group_name=validate_optional_text(spec.group, "run group"),
            notes=validate_optional_text(spec.notes, "run notes"),
            tags=validate_run_tags(spec.tags),
            state=RunState.RUNNING.value,
            config=validate_json_object(spec.config or {}, "config"),
            summary={},
            host=validate_optional_text(spec.host, "host"),
            pid=validate_count(spec.pid, "pid", optional=True),
            created_at=now,
            updated_at=now,
        )
    )
    return run_record(require_run(connection, ref))


def update_run(connection: Connection, ref: RunRef, change: RunUpdate) -> RunRecord:
    row = require_run(connection, ref)
    values: dict[str, Any] = {"updated_at": utc_now()}
    if change.state is not UNSET:
        values["state"] = parse_enum(RunState, change.state, "run state").value
    if change.config is not UNSET:
        values["config"] = validate_json_object(change.config, "config")
    if change.summary is not UNSET:
        values["summary"] = validate_json_object(change.summary, "summary")
    if change.notes is not UNSET:
        values["notes"] = validate_optional_text(change.notes, "run notes")
    if change.tags is not UNSET:
        values["tags"] = validate_run_tags(change.tags)
    if change.name is not UNSET:
        values["name"] = validate_optional_text(change.name, "run name") or ref.run_id
    connection.execute(update(runs).where(runs.c.id == row.id).values(**values))
    return run_record(require_run(connection, ref))


def get_run(engine: Engine, ref: RunRef) -> RunRecord:
    with read_transaction(engine) as connection:
        row = require_run(connection, ref)
    return settle_crashed(engine, [row])[0]


def list_runs(engine: Engine, entity: str, project: str) -> list[RunRecord]:
    """The project's runs, newest first."""
    statement = (
        run_select()
        .where(entities.c.name == entity, projects.c.name == project)
        .order_by(runs.c.created_at.desc(), runs.c.id.desc())
    )
    with read_transaction(engine) as connection:
        rows = connection.execute(statement).all()
    return settle_crashed(engine, rows)


CRASH_AUTHOR = "archivist"
"""The author of the events of runs the store found crashed (their process died)."""


def settle_crashed(engine: Engine, rows: Sequence[Row[Any]]) -> list[RunRecord]:
    """Records of the rows; runs found crashed are stored as crashed."""
    records = [run_record(row) for row in rows]
    crashed = [
        row
        for row, record in zip(rows, records, strict=True)
        if record.state is RunState.CRASHED and row.state == RunState.RUNNING.value
    ]
    if crashed:
        outbox = Outbox(CRASH_AUTHOR)
        with write_transaction(engine) as connection:
            for row in crashed:  # only if nobody resumed the run meanwhile
                settled = connection.execute(
                    update(runs)
                    .where(runs.c.id == row.id, runs.c.state == RunState.RUNNING.value, runs.c.pid == row.pid)
                    .values(state=RunState.CRASHED.value)
                )
                if settled.rowcount == 1:
                    running = dataclasses.replace(run_record(row), state=RunState.RUNNING)
                    after = dataclasses.replace(running, state=RunState.CRASHED)
                    outbox.emit(connection, run_state_event(running, after, CRASH_AUTHOR, row.id))
    return records


def run_pk(connection: Connection, ref: RunRef) -> int:
    pk: int = require_run(connection, ref).id
    return pk
