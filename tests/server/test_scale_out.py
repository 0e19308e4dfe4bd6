"""Two server processes over one database and one blob folder serve the same data:
16 clients logging to one collection through both get dense, distinct versions,
and every version downloads intact through either server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.client.http import HttpBackend
from archivist.client.transfer.hashing import hash_file
from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import CommitRequest, VersionQuery
from tests.client.artifact_logging import blobs_of
from tests.fixtures.archivist_server import (
    ADMIN_KEY,
    ServerProcess,
    launch_server,
    stop_server,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow
CLIENTS, VERSIONS_EACH = 16, 3
ENTITY, PROJECT, COLLECTION = "scale", "out", "shared"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    root = tmp_path_factory.mktemp("two-servers")
    db_url = f"sqlite:///{root}/meta.sqlite"
    servers = [launch_server(db_url, root / "blobs", root / f"server-{i}.log") for i in range(2)]
    try:
        for server in servers:
            wait_until_healthy(server)
        yield servers
    finally:
        for server in servers:
            stop_server(server)


def _log_version(backend: HttpBackend, folder: Path, client: int, number: int) -> int:
    """Write files, upload them in a batch, store the manifest, commit; returns the version index."""
    files = {
        f"client-{client}/item-{number}.txt": f"client {client} version {number}".encode(),
        "common.txt": b"the same in every version",
        "large.bin": bytes([client]) * 50_000 + number.to_bytes(4, "big"),
    }
    entries, uploads = [], []
    for logical, data in files.items():
        path = folder / f"{client}-{number}-{logical.replace('/', '_')}"
        path.write_bytes(data)
        entries.append(Entry(logical, hash_bytes(data), len(data)))
        uploads.append((hash_bytes(data), str(path)))
    manifest = Manifest(entries)
    missing = set(blobs_of(backend).missing_blobs([digest for digest, _ in uploads]))
    blobs_of(backend).upload_files([item for item in uploads if item[0] in missing])
    data = manifest.to_bytes()
    blobs_of(backend).upload_bytes(hash_bytes(data), data)
    request = CommitRequest(ENTITY, PROJECT, COLLECTION, "dataset", manifest.digest(), hash_bytes(data))
    return backend.commit_version(request).version.version_index


def test_sixteen_clients_through_two_servers(two_servers: list[ServerProcess], tmp_path: Path) -> None:
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        backend = HttpBackend(two_servers[number % 2].url, ADMIN_KEY)
        try:
            start.wait()
            for version in range(VERSIONS_EACH):
                results.append(_log_version(backend, tmp_path, number, version))
        except BaseException as error:
            errors.append(error)
        finally:
            backend.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    total = CLIENTS * VERSIONS_EACH
    assert sorted(results) == list(range(total))

    for server_number, server in enumerate(two_servers):  # both servers see the same versions
        reader = HttpBackend(server.url, ADMIN_KEY)
        listed = reader.list_versions(VersionQuery(ENTITY, PROJECT, COLLECTION, order="+version"))
        assert [v.version_index for v in listed] == list(range(total))
        assert reader.resolve_version(ENTITY, PROJECT, COLLECTION, "latest").version_index == total - 1
        for version in listed[server_number::2]:  # every version, downloaded through one of them
            manifest = Manifest.from_bytes(blobs_of(reader).read_bytes(version.manifest_digest))
            assert manifest.digest() == version.digest
            target = tmp_path / f"v{version.version_index}"
            target.mkdir()
            dests = {e.path: str(target / e.path.replace("/", "_")) for e in manifest}
            HttpBlobTransfer(reader).place_blobs(list(manifest), dests, lambda _n: None)
            for entry in manifest:
                assert hash_file(str(target / entry.path.replace("/", "_")))[0] == entry.digest
        reader.close()
    reader = HttpBackend(two_servers[0].url, ADMIN_KEY)
    contents = {
        next(
            e.path
            for e in Manifest.from_bytes(blobs_of(reader).read_bytes(v.manifest_digest))
            if e.path.startswith("client-")
        )
        for v in listed
    }
    reader.close()
    assert len(contents) == total  # nothing lost, nothing doubled
    for server in two_servers:  # the load was spread: each server committed versions
        answered = server.answered_request_log()
        commits = [line for line in answered if line["path"] == "/api/v1/versions/commit"]
        assert len(commits) == total // 2 and {line["status"] for line in commits} == {200}
