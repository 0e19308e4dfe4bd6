"""A server on an S3 store (moto on loopback): clients move blob bytes straight to and
from S3 through presigned URLs, the server only plans and verifies.

What the server received is read from its request log (path and ``bytes_in`` of
every request), so "no file bytes passed through the server" is asserted on the
bytes it was sent, not on timing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import archivist
from archivist.client.http import HttpBackend
from archivist.client.transfer.api_uploads import Upload
from archivist.client.transfer.hashing import hash_file
from archivist.core.errors import IntegrityError
from archivist.core.transfers import TransferMode
from archivist.sdk.context import reset_contexts
from tests.client.artifact_logging import blobs_of
from tests.conftest import read_tree, write_tree
from tests.fixtures.archivist_server import ADMIN_KEY, REPO_ROOT, ServerProcess, archivist_server
from tests.fixtures.s3 import BUCKET, keys_under, s3_client, s3_endpoint_fixture  # noqa: F401 - fixture

MIB = 1024 * 1024
LARGE_SIZE = 20 * MIB
"""Above the server's 8 MiB multipart threshold: three parts."""
PREFIX = "oss"
BYTES_PASSED_ROUTES = ("/api/v1/blobs/upload", "/api/v1/blobs/download")


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("s3-server")
    env = {
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
        "ARCHIVIST_MULTIPART_THRESHOLD": "8MiB",
        "ARCHIVIST_MULTIPART_PART_SIZE": "8MiB",
    }
    store = f"s3://{BUCKET}/{PREFIX}"
    with archivist_server(f"sqlite:///{root}/meta.sqlite", store, root / "server.log", env=env) as server:
        yield server


@pytest.fixture
def sdk(
    s3_server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The SDK pointed at the S3 server, in an entity of its own; yields its environment."""
    env = {
        "ARCHIVIST_BASE_URL": s3_server.url,
        "ARCHIVIST_API_KEY": ADMIN_KEY,
        "ARCHIVIST_ENTITY": f"t-{uuid.uuid4().hex[:12]}",
        "ARCHIVIST_DIR": str(tmp_path / "home"),
        "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache"),
        "ARCHIVIST_ARTIFACT_DIR": str(tmp_path / "artifacts"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    reset_contexts()
    yield env
    reset_contexts()


def _dataset(root: Path) -> Path:
    files: dict[str, bytes | str] = {f"small/{i:03d}.txt": f"row {i}\n" * (i + 1) for i in range(40)}
    files["large.bin"] = os.urandom(LARGE_SIZE)
    return write_tree(root, files)


def _log(source: Path) -> None:
    with archivist.init(project="p") as run:
        artifact = archivist.Artifact("data", type="dataset")
        artifact.add_dir(str(source))
        run.log_artifact(artifact)


def _requests_after(server: ServerProcess, seen: int) -> list[dict]:
    return server.answered_request_log()[seen:]


def test_logged_and_downloaded_bytes_never_pass_through_the_server(
    s3_server: ServerProcess, sdk: dict[str, str], tmp_path: Path
) -> None:
    source = _dataset(tmp_path / "source")
    seen = len(s3_server.answered_request_log())

    _log(source)
    downloaded = archivist.Api().artifact("p/data:latest").download(str(tmp_path / "out"))

    assert read_tree(downloaded) == read_tree(source)
    requests = _requests_after(s3_server, seen)
    paths = [entry["path"] for entry in requests]
    assert "/api/v1/blobs/upload-complete" in paths and "/api/v1/blobs/download-plan" in paths
    passed = [p for p in paths if p in BYTES_PASSED_ROUTES or _is_single_blob_route(p)]
    assert passed == []
    received = sum(entry["bytes_in"] for entry in requests)
    data_size = sum(len(data) for data in read_tree(source).values())
    assert received < data_size // 100, f"the server received {received} bytes for {data_size} of data"
    assert keys_under(PREFIX, "incoming/") == []  # every staged upload was verified and promoted


def _is_single_blob_route(path: str) -> bool:
    tail = path.removeprefix("/api/v1/blobs/")
    return tail != path and len(tail) == 64


def test_poisoned_direct_upload_is_rejected_and_never_visible(
    s3_server: ServerProcess, tmp_path: Path
) -> None:
    claimed = tmp_path / "claimed.bin"
    claimed.write_bytes(b"the bytes the digest names" * 1000)
    digest, size = hash_file(str(claimed))
    backend = HttpBackend(s3_server.url, ADMIN_KEY)
    try:
        [target] = backend.transfers.plan_uploads([Upload(digest, str(claimed), size)])
        assert target.mode is TransferMode.PUT and target.url is not None
        poison = b"X" * size
        assert httpx.put(target.url, content=poison).status_code == 200  # straight to S3

        with pytest.raises(IntegrityError, match=digest):
            backend.session.call(
                "/blobs/upload-complete",
                {"completions": [{"digest": digest, "upload_id": target.upload_id}]},
                idempotent=True,
            )
        assert blobs_of(backend).missing_blobs([digest]) == [digest]
        assert not [key for key in keys_under(PREFIX) if digest in key]  # staged copy deleted too
    finally:
        backend.close()


KILLED_UPLOADER = textwrap.dedent(
    """
    import os, signal, sys
    import httpx
    import archivist

    real_put = httpx.Client.put

    def put_then_die(self, url, *args, **kwargs):
        response = real_put(self, url, *args, **kwargs)
        if "partNumber=" in url:
            os.kill(os.getpid(), signal.SIGKILL)  # killed mid-upload, once a part is stored
        return response

    httpx.Client.put = put_then_die
    with archivist.init(project="p") as run:
        artifact = archivist.Artifact("data", type="dataset")
        artifact.add_dir(sys.argv[1])
        run.log_artifact(artifact)
    """
)


def test_client_killed_mid_upload_leaves_no_version_and_a_retry_resumes(
    s3_server: ServerProcess, sdk: dict[str, str], tmp_path: Path
) -> None:
    source = _dataset(tmp_path / "source")
    child_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", KILLED_UPLOADER, str(source)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    backend = HttpBackend(s3_server.url, ADMIN_KEY)
    try:
        assert backend.list_collections(sdk["ARCHIVIST_ENTITY"], "p") == []  # no committed version
        journal = Path(sdk["ARCHIVIST_CACHE_DIR"]) / "upload-journal"
        large = source / "large.bin"
        digest, _size = hash_file(str(large))
        [entry] = list(journal.glob("*.json"))
        assert entry.name == f"{digest}.json"
        token = json.loads(entry.read_text())

        resumer = HttpBackend(s3_server.url, ADMIN_KEY, journal_dir=str(journal))
        [target] = resumer.transfers.plan_uploads([Upload(digest, str(large), LARGE_SIZE)])
        resumer.close()
        assert target.mode is TransferMode.MULTIPART and target.upload_id == token["upload_id"]
        assert len(target.uploaded) >= 1 and len(target.uploaded) + len(target.parts) == 3

        _log(source)  # the retry, with the same cache (and journal)

        downloaded = archivist.Api().artifact("p/data:v0").download(str(tmp_path / "out"))
        assert read_tree(downloaded) == read_tree(source)
        assert list(journal.glob("*.json")) == []
        assert blobs_of(backend).missing_blobs([digest]) == []
    finally:
        backend.close()


def test_start_up_drops_uploads_abandoned_a_day_ago(s3_endpoint: str, tmp_path: Path) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    digest = "ab" * 32
    abandoned = f"incoming/{int(time.time()) - 2 * 24 * 3600:08x}-{'0' * 32}/{digest}"
    recent = f"incoming/{int(time.time()):08x}-{'1' * 32}/{digest}"
    for key in (abandoned, recent):
        s3_client().put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=b"never completed")
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    store = f"s3://{BUCKET}/{prefix}"
    with archivist_server(f"sqlite:///{tmp_path}/meta.sqlite", store, tmp_path / "server.log", env=env):
        assert keys_under(prefix, "incoming/") == [recent]
