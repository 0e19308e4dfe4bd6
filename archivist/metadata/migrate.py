"""Schema migrations, driven programmatically through Alembic.

Every process opens the store, so opening must stay cheap: when the
``alembic_version`` row already names ``HEAD_REVISION`` Alembic is not even
imported. A new, empty database gets the schema at its head revision in one go
(``metadata.create_all`` and the ``alembic_version`` row written as ``alembic
stamp`` writes it), also without Alembic: running the migrations one by one took
0.15-0.23 s of a new store's first open. A database created by an older version
is migrated by Alembic. Either runs in one transaction that holds the database's
write lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so processes
opening a fresh store at the same moment create or migrate it once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    text,
)
from sqlalchemy.exc import OperationalError, ProgrammingError

from archivist.metadata.engine import (
    create_metadata_engine,
    is_postgresql,
    read_transaction,
    write_transaction,
)

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0017"
"""The newest revision under ``migrations/versions``; a test keeps the two in step."""

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_KEY = 0x41524348  # any constant shared by every Archivist process

_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
"""The table ``alembic stamp`` creates (same columns and constraint name), so a schema
created at its head is indistinguishable from a migrated one."""


def open_engine(url: str) -> Engine:
    """An Engine for ``url`` whose schema is migrated to the newest revision."""
    engine = create_metadata_engine(url)
    upgrade_to_head(engine)
    return engine


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database, None when it was never migrated."""
    try:
        with read_transaction(engine) as connection:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except (OperationalError, ProgrammingError):  # no alembic_version table yet
        return None
    return rows[0][0] if len(rows) == 1 else None


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the schema to ``HEAD_REVISION``; a no-op (one SELECT) when it is there."""
    if current_revision(engine) == HEAD_REVISION:
        return
    with write_transaction(engine) as connection:
        if is_postgresql(connection):
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        if _is_empty(connection):
            create_at_head(connection)
        else:
            _run_alembic_upgrade(connection)


def _is_empty(connection: Connection) -> bool:
    """No table at all: a new database (checked under the lock, after any other creator)."""
    return not inspect(connection).get_table_names()


def create_at_head(connection: Connection) -> None:
    """Create the whole schema at ``HEAD_REVISION`` on an empty database, with the rows
    every store holds (``core_rows``), and stamp it."""
    from archivist.metadata.core_rows import insert_core_rows
    from archivist.metadata.schema import metadata

    metadata.create_all(connection)
    insert_core_rows(connection)
    _ALEMBIC_VERSION.create(connection)
    connection.execute(_ALEMBIC_VERSION.insert().values(version_num=HEAD_REVISION))


def upgrade_database(url: str) -> str:
    """Migrate the database at ``url`` to the newest revision and return that revision
    (for ``archivist db upgrade --db URL``)."""
    engine = create_metadata_engine(url)
    try:
        upgrade_to_head(engine)
        revision = current_revision(engine)
    finally:
        engine.dispose()
    return revision or ""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for the packaged migrations; no alembic.ini is needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _run_alembic_upgrade(connection: Connection) -> None:
    # The connection is already inside our transaction, so Alembic runs every
    # migration in it and the caller's commit makes them visible at once.
    from alembic import command

    command.upgrade(alembic_config(connection), "head")
