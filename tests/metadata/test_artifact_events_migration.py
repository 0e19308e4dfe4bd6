"""Migration 0013: aliases held before the audit trail existed get an event each, dated at
their version's creation, so time travel answers for them too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, select

from archivist.metadata.engine import create_metadata_engine
from archivist.metadata.migrate import HEAD_REVISION, alembic_config, current_revision, upgrade_to_head
from archivist.metadata.schema import aliases, artifact_events, collections, entities, projects, versions
from tests.metadata.postgres import temporary_database

pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
]
CREATED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/meta.sqlite"
    else:
        with temporary_database() as url:
            yield url


def test_aliases_held_before_0013_get_an_event_at_their_versions_creation(database_url: str) -> None:
    engine = create_metadata_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0010")
        entity = connection.execute(
            insert(entities).values(name="ent", created_at=CREATED)
        ).inserted_primary_key
        project = connection.execute(
            insert(projects).values(entity_id=entity[0], name="proj", created_at=CREATED)  # type: ignore[index]
        ).inserted_primary_key
        collection = connection.execute(
            insert(collections).values(
                project_id=project[0],  # type: ignore[index]
                name="data",
                type="dataset",
                tags=[],
                next_version_index=1,
                created_at=CREATED,
                updated_at=CREATED,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        version = connection.execute(
            insert(versions).values(
                collection_id=collection,
                version_index=0,
                digest="a" * 64,
                manifest_digest="b" * 64,
                size=1,
                file_count=1,
                metadata_json={},
                state="COMMITTED",
                created_at=CREATED,
                updated_at=CREATED,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        connection.execute(
            insert(aliases),
            [
                {"collection_id": collection, "version_id": version, "alias": name}
                for name in ("latest", "best")
            ],
        )
    upgrade_to_head(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                artifact_events.c.event_type,
                artifact_events.c.alias,
                artifact_events.c.version_id,
                artifact_events.c.created_at,
                artifact_events.c.actor,
            ).order_by(artifact_events.c.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("ADD_ARTIFACT_ALIAS", "latest", version, CREATED, "unknown"),
        ("ADD_ARTIFACT_ALIAS", "best", version, CREATED, "unknown"),
    ]
    engine.dispose()
