"""Statements whose SQL differs between SQLite and PostgreSQL, run on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select

from archivist.metadata import dialects
from archivist.metadata.engine import read_transaction, write_transaction
from archivist.metadata.migrate import open_engine
from tests.metadata.postgres import temporary_database

_metadata = MetaData()
pairs = Table("pairs", _metadata, Column("owner", Integer, nullable=False), Column("value", String(64)))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        opened = open_engine(f"sqlite:///{tmp_path}/meta.sqlite")
        _metadata.create_all(opened)
        yield opened
        opened.dispose()
        return
    with temporary_database() as url:
        opened = open_engine(url)
        _metadata.create_all(opened)
        yield opened
        opened.dispose()


def test_insert_values_adds_one_row_per_value_across_statements(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialects, "VALUES_PER_STATEMENT", 3)  # several statements
    values = [f"v{i}" for i in range(8)] + ["quote ' and \" and \\ and é"]
    with write_transaction(engine) as connection:
        dialects.insert_values(connection, pairs, ("owner", 7), "value", values)
        dialects.insert_values(connection, pairs, ("owner", 8), "value", [])
    with read_transaction(engine) as connection:
        rows = connection.execute(select(pairs.c.owner, pairs.c.value)).all()
    assert sorted(rows) == sorted((7, value) for value in values)


def test_first_column_reads_what_the_statement_selects_inside_the_transaction(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        dialects.insert_values(connection, pairs, ("owner", 1), "value", ["a", "b"])
        dialects.insert_values(connection, pairs, ("owner", 2), "value", ["c", "d", "e"])
        newest = select(pairs.c.owner).order_by(pairs.c.owner.desc()).limit(1).scalar_subquery()
        statement = select(pairs.c.value).where(pairs.c.owner == newest, pairs.c.value != "d")
        assert sorted(dialects.first_column(connection, statement)) == ["c", "e"]  # rows not yet committed
        first_owner = select(pairs.c.value).where(pairs.c.owner == 1)
        assert sorted(dialects.first_column(connection, first_owner)) == ["a", "b"]
        assert dialects.first_column(connection, select(pairs.c.value).where(pairs.c.owner == 3)) == []
        either = select(pairs.c.value).where(pairs.c.owner.in_([1, 2]), pairs.c.value.in_(["a", "e", "z"]))
        assert sorted(dialects.first_column(connection, either)) == ["a", "e"]
