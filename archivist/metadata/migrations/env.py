"""Alembic environment for Archivist's metadata schema.

Archivist drives Alembic from ``archivist.metadata.migrate`` and hands over a
connection that is already inside a transaction holding the database's write
lock; every migration runs in that transaction. Without a connection (the
``alembic`` command line with ``sqlalchemy.url`` set) it opens its own.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from archivist.metadata.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from archivist.metadata.engine import create_metadata_engine

    engine = create_metadata_engine(context.config.get_main_option("sqlalchemy.url", ""))
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
