"""HttpBackend passes the Backend contract and HttpBlobTransfer the BlobTransfer contract
against a real server process, over SQLite + folder and over PostgreSQL + folder; plus
what only they promise."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from archivist.client.factory import open_client
from archivist.client.http import HttpBackend
from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
from archivist.core.backend import Backend
from archivist.core.errors import AuthenticationError, CommError
from archivist.core.manifest import hash_bytes
from archivist.core.settings import Settings
from archivist.storage.client_cache import CacheOpener
from tests.client.artifact_logging import log_text
from tests.client.backend_contract import BackendContract
from tests.client.contract_blobs import BlobTransferContract
from tests.fixtures.archivist_server import (
    ADMIN_KEY,
    ServerProcess,
    archivist_server,
    data_engine,
    reset_store,
)
from tests.fixtures.servers import free_port
from tests.metadata.postgres import temporary_database

WEBHOOKS_ALLOWED = {"ARCHIVIST_WEBHOOK_ALLOW": "127.0.0.9"}
"""The address the automation contract's webhooks name (``contract_automations``)."""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "sqlite":
        with archivist_server(
            f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log", env=WEBHOOKS_ALLOWED
        ) as running:
            yield running
    else:
        with (
            temporary_database() as url,
            archivist_server(url, root / "blobs", root / "server.log", env=WEBHOOKS_ALLOWED) as running,
        ):
            yield running


@pytest.fixture(scope="module")
def server_engine(server: ServerProcess) -> Iterator[Engine]:
    engine = data_engine(server.db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[HttpBackend]:
    """One client for the module (building an HTTP client with its TLS setup takes a while)."""
    shared = HttpBackend(server.url, ADMIN_KEY)
    yield shared
    shared.close()


@pytest.fixture
def backend(server: ServerProcess, server_engine: Engine, client: HttpBackend) -> HttpBackend:
    """An empty store behind the running server."""
    reset_store(server_engine, server.store)
    return client


@pytest.fixture
def transfer(backend: HttpBackend, tmp_path: Path) -> HttpBlobTransfer:
    """A transfer over the empty store, its downloads through a client cache of its own."""
    return HttpBlobTransfer(backend, CacheOpener(str(tmp_path / "cache"), None))


class TestHttpBackend(BackendContract):
    pass


class TestHttpBlobTransfer(BlobTransferContract):
    pass


def test_every_backend_call_is_implemented_with_the_same_signature() -> None:
    calls = {name for name in vars(Backend) if not name.startswith("_")}
    for name in calls:
        assert callable(getattr(HttpBackend, name, None)), name
        expected = inspect.signature(getattr(Backend, name))
        assert inspect.signature(getattr(HttpBackend, name)).parameters.keys() == expected.parameters.keys()


def test_default_entity_is_the_users_name(backend: HttpBackend) -> None:
    assert backend.default_entity() == "admin"


def test_a_blob_is_opened_from_a_temporary_copy(transfer: HttpBlobTransfer) -> None:
    transfer.upload_bytes(hash_bytes(b"abc"), b"abc")
    with transfer.open_blob(hash_bytes(b"abc")) as reader:
        copy = reader.name
        assert reader.read() == b"abc"
    assert not Path(copy).exists()


def test_a_bad_key_is_refused(server: ServerProcess) -> None:
    client = HttpBackend(server.url, "ak_not-a-key")
    with pytest.raises(AuthenticationError, match="not valid"):
        client.list_projects("ent")
    client.close()


def test_an_unreachable_server_is_a_comm_error() -> None:
    client = HttpBackend(f"http://127.0.0.1:{free_port()}", ADMIN_KEY, retries=1, backoff=0.01)
    with pytest.raises(CommError, match="cannot reach"):
        client.list_projects("ent")
    client.close()


def test_open_client_picks_the_server(server: ServerProcess, tmp_path: Path) -> None:
    settings = Settings(
        home=str(tmp_path), cache_dir=str(tmp_path / "c"), base_url=server.url, api_key=ADMIN_KEY
    )
    backend, transfer = open_client(settings, CacheOpener(settings.cache_dir, None))
    assert isinstance(backend, HttpBackend) and isinstance(transfer, HttpBlobTransfer)
    assert log_text(backend, "opened", "via the factory").version.entity == "ent"
    backend.close()


def test_records_survive_the_round_trip(backend: HttpBackend) -> None:
    version = log_text(backend, "cats", "one", metadata={"a": [1, 2.5, None]}, tags=("x",)).version
    fetched = backend.get_version(version.id)
    assert fetched == version and dataclasses.asdict(fetched) == dataclasses.asdict(version)
