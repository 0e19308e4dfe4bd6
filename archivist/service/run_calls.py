"""The Backend's run calls, as the Service makes them: runs, their history rows and their files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archivist.core.automation_events import run_metric_event, run_state_event
from archivist.core.models import RunFile, RunQuery, RunRecord, RunRef, RunSpec, RunUpdate
from archivist.metadata.engine import read_transaction
from archivist.service import records, run_data, run_queries, runs
from archivist.service.call_base import CallBase


class RunCalls(CallBase):
    # --- runs -----------------------------------------------------------------------------
    def upsert_run(self, spec: RunSpec) -> RunRecord:
        with self._writing() as connection:
            return runs.upsert_run(connection, spec)

    def update_run(self, ref: RunRef, update: RunUpdate) -> RunRecord:
        outbox = self.outbox()
        with self._writing() as connection:
            row = runs.require_run(connection, ref)
            before = records.run_record(row)
            after = runs.update_run(connection, ref, update)
            outbox.emit(connection, run_state_event(before, after, outbox.author, row.id))
        self.delivered_soon(outbox)
        return after

    def get_run(self, ref: RunRef) -> RunRecord:
        return runs.get_run(self.engine, ref)

    def list_runs(self, entity: str, project: str) -> list[RunRecord]:
        return runs.list_runs(self.engine, entity, project)

    def query_runs(self, query: RunQuery) -> list[RunRecord]:
        return run_queries.query_runs(self.engine, query)

    def count_runs(self, query: RunQuery) -> int:
        return run_queries.count_runs(self.engine, query)

    def delete_run(self, ref: RunRef) -> None:
        with self._writing() as connection:
            run_queries.delete_run(connection, ref)

    def append_history(self, ref: RunRef, rows: Sequence[Mapping[str, Any]]) -> None:
        outbox = self.outbox()
        with self._writing() as connection:
            row = runs.require_run(connection, ref)
            run_data.append_history(connection, row.id, rows)
            metrics = tuple(
                sorted({key for r in rows if isinstance(r, Mapping) for key in r if not key.startswith("_")})
            )
            outbox.emit(connection, run_metric_event(records.run_record(row), outbox.author, row.id, metrics))
        self.delivered_soon(outbox)

    def read_history(
        self, ref: RunRef, min_step: int = 0, max_step: int | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        with read_transaction(self.engine) as connection:
            return run_data.read_history(connection, runs.run_pk(connection, ref), min_step, max_step, limit)

    def add_run_files(self, ref: RunRef, files: Sequence[RunFile]) -> None:
        with self._writing() as connection:
            run_data.add_run_files(connection, self.store, runs.run_pk(connection, ref), files, self.access)

    def list_run_files(self, ref: RunRef) -> list[RunFile]:
        with read_transaction(self.engine) as connection:
            return run_data.list_run_files(connection, runs.run_pk(connection, ref))
