"""Migrations: the packaged Alembic scripts build exactly ``schema.metadata``, a new
store is created at the head revision (the same schema, without Alembic), an older one
is migrated, opening a migrated store skips Alembic, and concurrent first opens create
or migrate once."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from archivist.metadata.engine import create_metadata_engine
from archivist.metadata.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    open_engine,
    upgrade_database,
    upgrade_to_head,
)
from archivist.metadata.schema import metadata
from archivist.service import accounts
from archivist.service.accounts import hash_key
from tests.metadata.postgres import temporary_database

pytestmark = [  # the folded registry-name index is an expression: SQLite reflects no such index
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


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


def _migrate_one_by_one(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def test_migrations_build_the_declared_schema(database_url: str) -> None:
    engine = create_metadata_engine(database_url)
    assert current_revision(engine) is None
    _migrate_one_by_one(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert _schema_differences(engine) == []
    engine.dispose()


def _reflected_schema(engine: Engine) -> dict[str, object]:
    """Everything the database says about each table (alembic_version included)."""
    inspector = inspect(engine)
    schema: dict[str, object] = {}
    for table in sorted(inspector.get_table_names()):
        schema[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"), c.get("autoincrement"))
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(
                (
                    fk["name"] or "",
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    tuple(sorted(fk.get("options", {}).items())),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (
                    ix["name"] or "",
                    tuple(ix["column_names"]),
                    bool(ix["unique"]),
                    sorted((k, str(v)) for k, v in ix.get("dialect_options", {}).items()),
                )
                for ix in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (uq["name"] or "", tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            ),
        }
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                sql = connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
                ).scalar_one()
                indexes = connection.exec_driver_sql(  # expression indexes are not reflected
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                    "AND sql IS NOT NULL",
                    (table,),
                ).all()
            schema[f"{table} without rowid"] = "WITHOUT ROWID" in sql
            schema[f"{table} index sql"] = sorted((name, " ".join(text.split())) for name, text in indexes)
    return schema


@pytest.fixture
def second_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/other.sqlite"
    else:
        with temporary_database() as url:
            yield url


def test_a_new_store_is_created_at_head_with_the_migrated_schema(
    database_url: str, second_database_url: str
) -> None:
    created = create_metadata_engine(database_url)
    upgrade_to_head(created)  # an empty database: created at its head revision in one go
    migrated = create_metadata_engine(second_database_url)
    _migrate_one_by_one(migrated)
    assert current_revision(created) == current_revision(migrated) == HEAD_REVISION
    created_schema = _reflected_schema(created)
    assert "version_blobs" in created_schema and "alembic_version" in created_schema
    assert created_schema == _reflected_schema(migrated)
    assert _schema_differences(created) == []
    assert (
        _core_rows(created)
        == _core_rows(migrated)
        == {
            "entities": [("organization",)],
            "projects": [
                ("organization", "wandb-registry-dataset"),
                ("organization", "wandb-registry-model"),
            ],
            "registries": [("dataset", "organization", False, None), ("model", "organization", False, None)],
            "registry_types": [("dataset", "dataset"), ("model", "model")],
        }
    )
    created.dispose()
    migrated.dispose()


def _core_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """The rows a store holds from its creation (the organization and the core registries)."""
    queries = {
        "entities": "SELECT name FROM entities",
        "projects": "SELECT e.name, p.name FROM projects p JOIN entities e ON e.id = p.entity_id",
        "registries": "SELECT name, visibility, allow_all_types, description FROM registries",
        "registry_types": (
            "SELECT r.name, t.type FROM registry_types t JOIN registries r ON r.id = t.registry_id"
        ),
    }
    with engine.connect() as connection:
        return {
            table: sorted(tuple(row) for row in connection.exec_driver_sql(sql).all())
            for table, sql in queries.items()
        }


def test_creating_a_new_store_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/meta.sqlite"
    probe = (
        "import sys\n"
        "from archivist.metadata.migrate import current_revision, open_engine\n"
        f"engine = open_engine({url!r})\n"
        "print(current_revision(engine), 'alembic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [HEAD_REVISION, "False"]


def test_a_store_of_an_older_revision_is_migrated(database_url: str) -> None:
    engine = create_metadata_engine(database_url)
    _migrate_one_by_one(engine, "0005")
    with engine.begin() as connection:  # a row made at 0005 survives the upgrade
        connection.execute(
            text("INSERT INTO entities (name, created_at) VALUES ('kept', '2026-01-01 00:00:00')")
        )
    assert current_revision(engine) == "0005"
    upgrade_to_head(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert _schema_differences(engine) == []
    with engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM entities ORDER BY name")).scalars().all()
        assert names == ["kept", "organization"]  # 0008 adds the organization of the registries
    engine.dispose()


def test_registries_of_0008_differing_only_by_case_are_renamed_not_lost(database_url: str) -> None:
    engine = create_metadata_engine(database_url)
    _migrate_one_by_one(engine, "0008")
    with engine.begin() as connection:
        organization = connection.execute(
            text("SELECT id FROM entities WHERE name = 'organization'")
        ).scalar()
        for name in ("Zoo", "zoo", "ZOO", "Other"):
            connection.execute(
                text("INSERT INTO projects (entity_id, name, created_at) VALUES (:e, :p, '2026-01-01')"),
                {"e": organization, "p": f"wandb-registry-{name}"},
            )
            project_id = connection.execute(
                text("SELECT id FROM projects WHERE name = :p"), {"p": f"wandb-registry-{name}"}
            ).scalar()
            connection.execute(
                text(
                    "INSERT INTO registries (project_id, name, visibility, allow_all_types, created_at, "
                    "updated_at) VALUES (:p, :n, 'organization', :f, '2026-01-01', '2026-01-01')"
                ),
                {"p": project_id, "n": name, "f": False},
            )
    upgrade_to_head(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT r.id, r.name, p.name FROM registries r JOIN projects p ON p.id = r.project_id")
        ).all()
    named = {name: (rid, project) for rid, name, project in rows}
    zoo_ids = sorted(rid for rid, name, _ in rows if name.lower().startswith("zoo"))
    expected = {"Zoo", f"zoo-{zoo_ids[1]}", f"ZOO-{zoo_ids[2]}", "Other", "model", "dataset"}
    assert set(named) == expected
    assert all(project == f"wandb-registry-{name}" for name, (_, project) in named.items())
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
        "from archivist.metadata.migrate import open_engine\n"
        f"open_engine({url!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_processes_opening_a_fresh_store_together_migrate_it_once(database_url: str) -> None:
    probe = (
        "from archivist.metadata.migrate import open_engine\n"
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


def _version_blobs_layout(path: Path) -> tuple[bool, list[tuple[int, str]], set[str]]:
    """(whether SQLite keeps a rowid, the rows, the indexes) of ``version_blobs``."""
    with sqlite3.connect(path) as connection:
        sql = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'version_blobs'").fetchone()[0]
        rows = connection.execute("SELECT version_id, digest FROM version_blobs ORDER BY 1, 2").fetchall()
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(version_blobs)")}
    return "WITHOUT ROWID" not in sql, rows, indexes


def test_version_blobs_rows_survive_losing_and_regaining_the_sqlite_rowid(tmp_path: Path) -> None:
    path = tmp_path / "meta.sqlite"
    engine = create_metadata_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
    rows = [(1, "a" * 64), (1, "b" * 64), (2, "a" * 64)]
    now, digest = "2026-01-01 00:00:00", "c" * 64
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO entities (id, name, created_at) VALUES (1, 'e', ?)", (now,))
        raw.execute("INSERT INTO projects (id, entity_id, name, created_at) VALUES (1, 1, 'p', ?)", (now,))
        raw.execute(
            "INSERT INTO collections (id, project_id, name, type, tags, next_version_index, created_at, "
            "updated_at) VALUES (1, 1, 'c', 'dataset', '[]', 2, ?, ?)",
            (now, now),
        )
        for version in (1, 2):
            raw.execute(
                "INSERT INTO versions (id, collection_id, version_index, digest, manifest_digest, size, "
                "file_count, metadata_json, state, created_at, updated_at) "
                "VALUES (?, 1, ?, ?, ?, 0, 0, '{}', 'COMMITTED', ?, ?)",
                (version, version - 1, digest, digest, now, now),
            )
        raw.executemany("INSERT INTO version_blobs (version_id, digest) VALUES (?, ?)", rows)
    assert _version_blobs_layout(path)[:2] == (True, rows)
    upgrade_to_head(engine)
    with_rowid, kept, indexes = _version_blobs_layout(path)
    assert (with_rowid, kept) == (False, rows)
    assert "ix_version_blobs_digest" in indexes
    assert _schema_differences(engine) == []
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    assert _version_blobs_layout(path)[:2] == (True, rows)
    engine.dispose()


OLD_KEYS = {
    "admin": "ak_admin-key-made-before-key-ids-0123456789abc",
    "ada": "ak_ada-key-made-before-key-ids-0123456789abcdef",
}


def _insert_keys_at_0004(engine: Engine) -> None:
    """Users with keys as revision 0004 stored them: the first 12 characters in clear."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0004")
        for number, (name, key) in enumerate(OLD_KEYS.items(), start=1):
            values = {"id": number, "name": name, "admin": name == "admin", "now": "2026-01-01 00:00:00"}
            connection.execute(
                text("INSERT INTO users (id, name, is_admin, created_at) VALUES (:id, :name, :admin, :now)"),
                values,
            )
            connection.execute(
                text(
                    "INSERT INTO api_keys (id, user_id, prefix, key_hash, description, created_at) "
                    "VALUES (:id, :id, :prefix, :hash, 'old', :now)"
                ),
                {**values, "prefix": key[:12], "hash": hash_key(key)},
            )


def _stored_text(engine: Engine, database_url: str) -> str:
    """Everything the database holds about keys (for SQLite: the bytes of its files)."""
    if database_url.startswith("sqlite"):
        engine.dispose()
        path = Path(database_url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists()).decode("latin-1")
    with engine.connect() as connection:
        return repr(connection.execute(text("SELECT * FROM api_keys")).all())


def test_upgrading_from_0004_turns_clear_key_prefixes_into_random_key_ids(database_url: str) -> None:
    engine = create_metadata_engine(database_url)
    _insert_keys_at_0004(engine)
    assert all(key[:12] in _stored_text(engine, database_url) for key in OLD_KEYS.values())

    upgrade_to_head(engine)

    assert _schema_differences(engine) == []
    stored = _stored_text(engine, database_url)
    assert not any(key[3:12] in stored for key in OLD_KEYS.values())  # the secret part is gone
    listed = {name: accounts.list_keys(engine, name) for name in OLD_KEYS}
    key_ids = [record.id for records in listed.values() for record in records]
    assert len(key_ids) == 2 and len(set(key_ids)) == 2
    assert all(re.fullmatch(r"kid_[0-9a-f]{12}", key_id) for key_id in key_ids), key_ids
    for name, key in OLD_KEYS.items():  # every old key still works, and is revoked by its key id
        principal = accounts.authenticate(engine, key)
        assert principal is not None and principal.name == name
    accounts.revoke_key(engine, listed["ada"][0].id)
    assert accounts.authenticate(engine, OLD_KEYS["ada"]) is None
    assert accounts.authenticate(engine, OLD_KEYS["admin"]) is not None
    engine.dispose()
