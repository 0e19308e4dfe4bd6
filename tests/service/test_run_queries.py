"""Run filters are answered by the database: the SQL carries the filter and only the
matching rows come back (SQLite JSON1, PostgreSQL jsonb)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from archivist.core.errors import InvalidInputError
from archivist.core.models import RunQuery, RunRef, RunSpec, RunUpdate
from archivist.service.service import Service


def _statements(service: Service) -> list[str]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(service.engine, "before_cursor_execute", record)
    return seen


def test_the_database_selects_the_runs(service: Service) -> None:
    for index in range(120):
        ref = RunRef("ent", "proj", f"run-{index}")
        service.upsert_run(RunSpec(ref=ref, config={"lr": index / 1000, "opt": {"name": f"o{index % 3}"}}))
        service.update_run(ref, RunUpdate(summary={"acc": index / 120}, state="finished"))
    seen = _statements(service)
    query = RunQuery(
        "ent", "proj", {"config.lr": {"$gte": 0.1}, "config.opt.name": "o1"}, "-summary_metrics.acc"
    )
    found = service.query_runs(query)
    assert [r.ref.run_id for r in found] == [f"run-{i}" for i in range(118, 99, -1) if i % 3 == 1]
    [select] = [s for s in seen if "FROM runs" in s]
    json_reader = "jsonb_typeof" if service.engine.dialect.name == "postgresql" else "json_type"
    assert json_reader in select and "ORDER BY" in select


def test_a_regular_expression_the_database_refuses_is_an_input_error(service: Service) -> None:
    service.upsert_run(RunSpec(ref=RunRef("ent", "proj", "r"), config={"opt": "adam"}))
    query = RunQuery("ent", "proj", {"config.opt": {"$regex": "(?P<name>ad)am"}})
    if service.engine.dialect.name == "postgresql":  # POSIX regular expressions: no named groups
        with pytest.raises(InvalidInputError, match=r"the database refused a \$regex"):
            service.query_runs(query)
    else:  # SQLite's REGEXP is Python's re
        assert [r.ref.run_id for r in service.query_runs(query)] == ["r"]
