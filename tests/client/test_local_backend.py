"""The embedded store passes the Backend and BlobTransfer contracts; plus what only it promises."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.client.factory import open_client
from archivist.client.http import HttpBackend
from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
from archivist.core.errors import InvalidInputError
from archivist.core.settings import Settings
from archivist.service.embedded import DATABASE_FILE, LocalBackend
from archivist.service.embedded_transfer import EmbeddedTransfer
from archivist.storage.client_cache import CacheOpener
from tests.client.artifact_logging import ENTITY, PROJECT, log_text
from tests.client.backend_contract import BackendContract
from tests.client.contract_blobs import BlobTransferContract


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(home=str(tmp_path / "home"), cache_dir=str(tmp_path / "cache")).evolve(**changes)


@pytest.fixture(scope="module")
def migrated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose database is migrated once; tests copy it to skip the migration."""
    settings = _settings(tmp_path_factory.mktemp("template"))
    LocalBackend(settings).close()
    return Path(settings.home)


@pytest.fixture
def backend(tmp_path: Path, migrated_home: Path) -> Iterator[LocalBackend]:
    settings = _settings(tmp_path)
    os.makedirs(settings.home)
    shutil.copy(migrated_home / DATABASE_FILE, Path(settings.home) / DATABASE_FILE)
    local = LocalBackend(settings)
    yield local
    local.close()


@pytest.fixture
def transfer(backend: LocalBackend) -> EmbeddedTransfer:
    return backend.blob_transfer()


class TestLocalBackend(BackendContract):
    pass


class TestEmbeddedTransfer(BlobTransferContract):
    pass


def test_files_live_under_home(tmp_path: Path) -> None:
    backend = LocalBackend(_settings(tmp_path))
    version = log_text(backend, "cats", "one").version
    assert (tmp_path / "home" / "meta.sqlite").is_file()
    path = backend.local_blob_path(version.manifest_digest)
    assert path is not None and Path(path).is_relative_to(tmp_path / "home" / "blobs")
    backend.close()


def test_a_second_backend_on_the_same_home_sees_the_data(tmp_path: Path) -> None:
    first = LocalBackend(_settings(tmp_path))
    version = log_text(first, "cats", "one").version
    first.close()
    second = LocalBackend(_settings(tmp_path))
    assert second.resolve_version(ENTITY, PROJECT, "cats", "latest") == version
    second.close()


def test_default_entity(tmp_path: Path) -> None:
    assert LocalBackend(_settings(tmp_path)).default_entity() == "local"
    assert LocalBackend(_settings(tmp_path, entity="team")).default_entity() == "team"


def _cache(tmp_path: Path) -> CacheOpener:
    return CacheOpener(str(tmp_path / "cache"), None)


def test_open_client_gives_the_embedded_store(tmp_path: Path) -> None:
    backend, transfer = open_client(_settings(tmp_path), _cache(tmp_path))
    assert isinstance(backend, LocalBackend) and isinstance(transfer, EmbeddedTransfer)
    backend.close()


def test_open_client_gives_a_server_when_a_url_is_set(tmp_path: Path) -> None:
    backend, transfer = open_client(
        _settings(tmp_path, base_url="http://server:8080", api_key="k"), _cache(tmp_path)
    )
    assert isinstance(backend, HttpBackend) and backend.base_url == "http://server:8080"
    assert isinstance(transfer, HttpBlobTransfer)
    backend.close()
    with pytest.raises(InvalidInputError, match="ftp://server"):
        open_client(_settings(tmp_path, base_url="ftp://server"), _cache(tmp_path))
