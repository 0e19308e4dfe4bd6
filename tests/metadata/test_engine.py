"""Opening the metadata database: URLs, SQLite settings and transaction modes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc, insert, text

from archivist.core.errors import InvalidInputError
from archivist.metadata.engine import (
    create_metadata_engine,
    read_transaction,
    write_transaction,
)
from archivist.metadata.migrate import open_engine
from archivist.metadata.schema import projects
from archivist.service.timestamps import utc_now


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "meta.sqlite"


def test_sqlite_connections_are_tuned_for_concurrent_processes(sqlite_file: Path) -> None:
    engine = open_engine(f"sqlite:///{sqlite_file}")
    assert sqlite_file.is_file()  # parent folders were created
    with read_transaction(engine) as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys", "cache_size")
        }
    assert pragma == {
        "journal_mode": "wal",
        "busy_timeout": 30000,
        "synchronous": 2,  # FULL: each commit is synced (NORMAL, 1, syncs only at checkpoints in WAL)
        "foreign_keys": 1,
        "cache_size": -32768,
    }
    engine.dispose()


def test_write_transactions_take_the_write_lock_at_begin(sqlite_file: Path) -> None:
    engine = open_engine(f"sqlite:///{sqlite_file}")
    other = sqlite3.connect(sqlite_file, timeout=0, isolation_level=None)
    # nothing is executed inside: BEGIN IMMEDIATE alone holds the lock
    with write_transaction(engine), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    with read_transaction(engine) as connection:  # readers never hold it
        connection.exec_driver_sql("SELECT count(*) FROM entities").scalar()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()
    engine.dispose()


def test_foreign_keys_are_enforced(sqlite_file: Path) -> None:
    engine = open_engine(f"sqlite:///{sqlite_file}")
    with pytest.raises(exc.IntegrityError), write_transaction(engine) as connection:
        connection.execute(insert(projects).values(entity_id=999, name="p", created_at=utc_now()))
    engine.dispose()


def test_a_failed_write_transaction_is_rolled_back(sqlite_file: Path) -> None:
    engine = open_engine(f"sqlite:///{sqlite_file}")
    with pytest.raises(RuntimeError), write_transaction(engine) as connection:
        connection.exec_driver_sql("INSERT INTO gc_marks (digest, first_seen) VALUES ('d', '2020-01-01')")
        raise RuntimeError("boom")
    with read_transaction(engine) as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM gc_marks").scalar() == 0
    engine.dispose()


@pytest.mark.parametrize(
    "url", ["postgresql://u@h:5432/db", "postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"]
)
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    engine = create_metadata_engine(url)
    assert engine.url.drivername == "postgresql+psycopg"
    assert (engine.url.host, engine.url.database) == ("h", "db")
    engine.dispose()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "meta.sqlite", "", None])
def test_unsupported_urls_are_refused(url: object) -> None:
    with pytest.raises(InvalidInputError, match="sqlite:///"):
        create_metadata_engine(url)  # type: ignore[arg-type]


def test_postgresql_engine_reaches_the_server(tmp_path: Path) -> None:
    from tests.metadata.postgres import temporary_database

    with temporary_database() as url:
        engine = open_engine(url)
        with read_transaction(engine) as connection:
            assert connection.execute(text("SELECT count(*) FROM versions")).scalar() == 0
        engine.dispose()
