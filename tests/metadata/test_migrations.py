"""Migrations: the packaged Alembic scripts build exactly ``schema.metadata``,
opening a migrated store skips Alembic, and concurrent first opens migrate once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from archivist.metadata.engine import create_metadata_engine, open_engine
from archivist.metadata.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    upgrade_database,
    upgrade_to_head,
)
from archivist.metadata.schema import metadata
from tests.metadata.postgres import temporary_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/meta.sqlite"
    else:
        with temporary_database() as url:
            yield url


def _schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_head_revision_constant_matches_the_scripts() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_migrations_build_the_declared_schema(database_url: str) -> None:
    engine = create_metadata_engine(database_url)
    assert current_revision(engine) is None
    upgrade_to_head(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert _schema_differences(engine) == []
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    engine = open_engine(database_url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(engine) is None
    upgrade_to_head(engine)
    assert _schema_differences(engine) == []
    engine.dispose()


def test_upgrade_database_for_the_command_line(database_url: str) -> None:
    assert upgrade_database(database_url) == HEAD_REVISION
    assert upgrade_database(database_url) == HEAD_REVISION


def test_opening_a_migrated_store_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/meta.sqlite"
    open_engine(url).dispose()
    probe = (
        "import sys\n"
        "from archivist.metadata.engine import open_engine\n"
        f"open_engine({url!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_processes_opening_a_fresh_store_together_migrate_it_once(database_url: str) -> None:
    probe = (
        "from archivist.metadata.engine import open_engine\n"
        "from archivist.metadata.migrate import current_revision\n"
        f"engine = open_engine({database_url!r})\n"
        "print(current_revision(engine))\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", probe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outcomes = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0, 0], [err for _, err in outcomes]
    assert [out.strip() for out, _ in outcomes] == [HEAD_REVISION] * 4
    engine = create_metadata_engine(database_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    engine.dispose()
