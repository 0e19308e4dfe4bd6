"""Services over both metadata databases: SQLite in tmp_path and a throw-away
PostgreSQL database per test module (emptied between tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from archivist.metadata.migrate import open_engine
from archivist.service.dispatcher import Dispatcher
from archivist.service.registries import ensure_core_registries
from archivist.service.service import Service
from archivist.service.webhook_urls import UrlPolicy
from archivist.storage.local import LocalBlobStore
from tests.metadata.postgres import temporary_database, truncate_all


@pytest.fixture(scope="module")
def postgres_engine() -> Iterator[Engine]:
    with temporary_database() as url:
        engine = open_engine(url)
        yield engine
        engine.dispose()


CONTRACT_WEBHOOKS = UrlPolicy(allowed=("127.0.0.9",))
"""Like the test servers: the automation contract's webhook address is allowed."""


@pytest.fixture
def postgres_service(postgres_engine: Engine, tmp_path: Path) -> Iterator[Service]:
    truncate_all(postgres_engine)
    with postgres_engine.begin() as connection:  # every store has them (migration 0008)
        ensure_core_registries(connection)
    service = Service(postgres_engine, LocalBlobStore(str(tmp_path / "blobs")), urls=CONTRACT_WEBHOOKS)
    service.dispatcher = Dispatcher(postgres_engine, CONTRACT_WEBHOOKS)  # as a server process has
    yield service
    service.dispatcher.stop()


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[Service]:
    service = Service(
        open_engine(f"sqlite:///{tmp_path}/meta.sqlite"),
        LocalBlobStore(str(tmp_path / "blobs")),
        urls=CONTRACT_WEBHOOKS,
    )
    service.dispatcher = Dispatcher(service.engine, CONTRACT_WEBHOOKS)
    yield service
    service.dispatcher.stop()
    service.close()


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest) -> Service:
    """The same service over each metadata database in turn."""
    return request.getfixturevalue(f"{request.param}_service")
