"""The SDK's remote download path over a backend that offers only the plain Backend
calls (no ``fetch_blobs``/``download_to``): the in-process Service over a folder store,
which like a server says its blobs are not local. Real files and a real SQLite database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.client.transfer.cached_downloads import RemoteBlobs, _ThroughFiles
from archivist.core.errors import BlobNotFoundError
from archivist.core.manifest import hash_bytes
from archivist.metadata.migrate import open_engine
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    backend = Service(
        open_engine(f"sqlite:///{tmp_path}/meta.sqlite"), LocalBlobStore(str(tmp_path / "blobs"))
    )
    yield backend
    backend.close()


def test_a_plain_backend_is_used_through_files(service: Service, tmp_path: Path) -> None:
    assert not isinstance(service, RemoteBlobs)
    blobs = [os.urandom(100 + i) for i in range(30)]
    for data in blobs:
        service.upload_bytes(hash_bytes(data), data)
    remote = _ThroughFiles(service)
    got: dict[str, bytes] = {}
    remote.fetch_blobs(
        [hash_bytes(data) for data in blobs], lambda digest, data: got.__setitem__(digest, data)
    )
    assert got == {hash_bytes(data): data for data in blobs}

    large = os.urandom(3 << 20)
    service.upload_bytes(hash_bytes(large), large)
    paths = [str(tmp_path / "one"), str(tmp_path / "two")]
    assert remote.download_to(hash_bytes(large), paths) == hash_bytes(large)
    assert all(Path(path).read_bytes() == large for path in paths)


def test_a_failed_download_to_leaves_no_file(service: Service, tmp_path: Path) -> None:
    absent = hash_bytes(b"never stored")
    paths = [str(tmp_path / "one"), str(tmp_path / "two")]
    with pytest.raises(BlobNotFoundError):
        _ThroughFiles(service).download_to(absent, paths)
    assert not any(Path(path).exists() for path in paths)
