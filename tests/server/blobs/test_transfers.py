"""Bytes through a server: batching many small files, a client killed mid-upload,
and a server stopped with SIGTERM while a request is in flight."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import archivist
from archivist.client.http import HttpBackend
from archivist.client.transfer.cached_downloads import UNCACHED_COPY_MIN_BYTES
from archivist.client.transfer.hashing import hash_file
from archivist.core.errors import IntegrityError, NotFoundError
from archivist.core.manifest import hash_bytes
from archivist.sdk import session
from archivist.sdk.context import get_context, reset_contexts
from archivist.wire.blob_frames import encode_header
from tests.client.artifact_logging import blobs_of
from tests.conftest import read_tree, write_tree
from tests.fixtures.archivist_server import (
    ADMIN_KEY,
    ServerProcess,
    launch_server,
    stop_server,
    wait_until_healthy,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sdk_on(server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SDK of this process pointed at the module's server, in an entity of its own."""
    entity = f"x-{uuid.uuid4().hex[:10]}"
    for name, value in {
        "ARCHIVIST_BASE_URL": server.url,
        "ARCHIVIST_API_KEY": ADMIN_KEY,
        "ARCHIVIST_ENTITY": entity,
        "ARCHIVIST_DIR": str(tmp_path / "home"),
        "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache"),
        "ARCHIVIST_SILENT": "1",
    }.items():
        monkeypatch.setenv(name, value)
    reset_contexts()
    yield entity
    session.teardown()
    reset_contexts()


def _requests_during(server: ServerProcess, action: object) -> list[dict]:
    before = len(server.answered_request_log())
    action()  # type: ignore[operator]
    return server.answered_request_log()[before:]


def test_many_small_files_take_few_requests(server: ServerProcess, sdk_on: str, tmp_path: Path) -> None:
    files = {f"d{i % 20}/f{i}.txt": os.urandom(1 + i % 2000) for i in range(2000)}
    source = write_tree(tmp_path / "small", files)

    def log() -> None:
        with archivist.init(project="batching") as run:
            artifact = archivist.Artifact("small-files", type="dataset")
            artifact.add_dir(str(source))
            run.log_artifact(artifact).wait()

    uploads = _requests_during(server, log)
    assert len(uploads) < 20, [line["path"] for line in uploads]
    assert sum(line["path"] == "/api/v1/blobs/upload" for line in uploads) >= 1
    assert not any(line["path"] == "/api/v1/blobs/upload-plan" for line in uploads)  # a folder store

    downloaded: list[str] = []
    downloads = _requests_during(
        server,
        lambda: downloaded.append(
            archivist.Api().artifact("batching/small-files:v0").download(str(tmp_path / "out"))
        ),
    )
    assert len(downloads) < 20, [line["path"] for line in downloads]
    assert read_tree(downloaded[0]) == files


def _log_files(tmp_path: Path, files: dict[str, bytes]) -> archivist.Artifact:
    source = write_tree(tmp_path / "source", files)
    with archivist.init(project="corrupt") as run:
        artifact = archivist.Artifact("files", type="dataset")
        artifact.add_dir(str(source))
        run.log_artifact(artifact).wait()
    return archivist.Api().artifact(f"corrupt/files:{artifact.version}")


def _corrupt_packed(store: Path, digest: str) -> None:
    """Flip the first byte of a packed blob in its pack file (found through the store's index)."""
    with sqlite3.connect(store / "packs" / "index.sqlite") as connection:
        pack, offset = connection.execute(
            "SELECT pack, offset FROM blobs WHERE digest = ?", (digest,)
        ).fetchone()
    path = store / "packs" / f"{pack}.pack"
    os.chmod(path, 0o644)
    with open(path, "r+b") as handle:
        handle.seek(offset)
        first = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([first[0] ^ 0xFF]))


def _corrupt_loose(store: Path, digest: str) -> None:
    blob = store / digest[:2] / digest[2:]
    os.chmod(blob, 0o644)
    data = blob.read_bytes()
    blob.write_bytes(data[::-1])  # same size, other bytes


@pytest.mark.parametrize(
    ("size", "corrupt"),
    [(2000, _corrupt_packed), (6 << 20, _corrupt_loose)],  # fetched in a batch / streamed alone
    ids=["small-packed", "large-loose"],
)
def test_a_blob_corrupted_on_the_server_is_refused_and_written_nowhere(
    server: ServerProcess, sdk_on: str, tmp_path: Path, size: int, corrupt: Callable[[Path, str], None]
) -> None:
    damaged = os.urandom(size)
    logged = _log_files(tmp_path, {"damaged.bin": damaged, "fine.txt": os.urandom(100)})
    corrupt(Path(server.store), hash_bytes(damaged))
    for options in ({"skip_cache": True}, {}, {"link": True}):
        out = tmp_path / f"out-{len(options)}-{sorted(options)}"
        with pytest.raises(IntegrityError, match="damaged.bin"):
            logged.download(str(out), **options)
        assert not (out / "damaged.bin").exists()
    cache = get_context().client_cache
    assert cache.get(hash_bytes(damaged)) is None
    assert [p.name for p in (Path(cache.root) / "tmp").glob("*")] == []


def test_copy_mode_keeps_small_blobs_packed_in_the_cache_and_large_ones_out_of_it(
    server: ServerProcess, sdk_on: str, tmp_path: Path
) -> None:
    small = {f"s/{i}.txt": os.urandom(100 + i) for i in range(40)}
    big = os.urandom(UNCACHED_COPY_MIN_BYTES)
    logged = _log_files(tmp_path, {**small, "big.bin": big})
    files = {**small, "big.bin": big}
    assert read_tree(logged.download(str(tmp_path / "first"))) == files
    cache = get_context().client_cache
    sizes = {hash_bytes(data): len(data) for data in small.values()}
    assert dict(cache.packed(sizes)) == {hash_bytes(data): data for data in small.values()}
    assert all(cache.get(digest) is None for digest in sizes)  # packed: no file per blob
    assert cache.get(hash_bytes(big)) is None  # the download itself is the only copy

    for data in small.values():  # from now on the server would send wrong bytes
        _corrupt_packed(Path(server.store), hash_bytes(data))
    assert read_tree(logged.download(str(tmp_path / "again"))) == files  # small ones from the cache

    linked = Path(logged.download(str(tmp_path / "linked"), link=True))
    assert read_tree(linked) == files
    for rel in files:
        assert (linked / rel).stat().st_nlink >= 2, rel  # linked to a read-only file in the cache
    big_blob = cache.get(hash_bytes(big))
    assert big_blob is not None and os.stat(big_blob).st_ino == (linked / "big.bin").stat().st_ino


KILLABLE = textwrap.dedent(
    """
    import sys
    import archivist
    with archivist.init(project="crash") as run:
        artifact = archivist.Artifact("big", type="dataset")
        artifact.add_file(sys.argv[1])
        run.log_artifact(artifact).wait()
    print("done", flush=True)
    """
)


def _client(path: Path, sdk_env: dict[str, str]) -> subprocess.Popen[str]:
    env = {**os.environ, **sdk_env, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_client_killed_mid_upload_commits_nothing(
    server: ServerProcess, sdk_on: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(256 << 20))
    digest = hash_file(str(big))[0]
    sdk_env = {name: value for name, value in os.environ.items() if name.startswith("ARCHIVIST_")}
    temp_dir = server.store / "tmp"
    child = _client(big, sdk_env)
    try:
        deadline = time.monotonic() + 120
        while not any(temp_dir.iterdir()):  # the server is writing the blob: the upload is under way
            assert child.poll() is None, f"the client ended before it was killed: {child.communicate()}"
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    deadline = time.monotonic() + 30
    while any(temp_dir.iterdir()) and time.monotonic() < deadline:  # the server drops the partial blob
        time.sleep(0.05)
    assert list(temp_dir.iterdir()) == []
    backend = HttpBackend(server.url, ADMIN_KEY)
    assert blobs_of(backend).missing_blobs([digest]) == [digest]
    with pytest.raises(NotFoundError):
        backend.get_collection(sdk_on, "crash", "big")

    retry = _client(big, sdk_env)  # the same upload again succeeds
    out, err = retry.communicate(timeout=300)
    assert retry.returncode == 0 and out.strip() == "done", err
    version = backend.resolve_version(sdk_on, "crash", "big", "latest")
    assert version.version_index == 0 and blobs_of(backend).missing_blobs([digest]) == []
    blobs_of(backend).download_blob(digest, str(tmp_path / "again.bin"))
    assert hash_file(str(tmp_path / "again.bin"))[0] == digest
    backend.close()


@pytest.mark.slow
def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    server = wait_until_healthy(
        launch_server(f"sqlite:///{tmp_path}/meta.sqlite", tmp_path / "blobs", tmp_path / "log")
    )
    data = os.urandom(3 << 20)
    digest = hash_bytes(data)
    half_sent = threading.Event()
    answers: list[httpx.Response] = []

    def slow_body() -> Iterator[bytes]:
        yield encode_header(digest, len(data)) + data[: len(data) // 2]
        half_sent.set()
        time.sleep(1.5)  # SIGTERM arrives now
        yield data[len(data) // 2 :]

    def upload() -> None:
        answers.append(
            httpx.post(
                f"{server.url}/api/v1/blobs/upload",
                content=slow_body(),
                headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                timeout=60,
            )
        )

    sender = threading.Thread(target=upload)
    sender.start()
    assert half_sent.wait(timeout=30)
    time.sleep(0.2)
    server.process.send_signal(signal.SIGTERM)
    sender.join(timeout=60)
    assert answers and answers[0].status_code == 200
    assert answers[0].json() == {"stored": [digest], "rejected": []}
    assert server.process.wait(timeout=30) == 0
    assert (tmp_path / "blobs" / digest[:2] / digest[2:]).read_bytes() == data
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/health", timeout=2)
    assert stop_server(server) == 0
