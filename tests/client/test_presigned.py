"""The client side of presigned transfers: real PUTs and GETs against moto's S3 server
(planned and completed by the service functions), plus a small loopback HTTP server
that misbehaves on purpose to exercise retries and resumed downloads."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from archivist.client.transfer.multipart_journal import UploadJournal
from archivist.client.transfer.presigned import download, upload, upload_all
from archivist.core.errors import (
    BlobNotFoundError,
    CommError,
    FileChangedError,
    IntegrityError,
    UsageError,
)
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import (
    DownloadTarget,
    ResumeToken,
    TransferMode,
    TransferPolicy,
    UploadCompletion,
    UploadRequest,
    UploadTarget,
    new_upload_id,
)
from archivist.service.transfers import complete_uploads, plan_downloads, plan_uploads
from archivist.storage.object_store import ObjectBlobStore
from tests.client.killed_uploader import KILLED_EXIT_CODE
from tests.fixtures.s3 import BUCKET, s3_client, s3_endpoint_fixture, s3_prefix_fixture, s3_url_fixture  # noqa: F401

MIB = 1024 * 1024
MULTIPART = TransferPolicy(multipart_threshold=16 * MIB)


@pytest.fixture
def store(s3_url: str) -> ObjectBlobStore:
    return ObjectBlobStore(s3_url)


class RequestLog:
    """Counts the requests an httpx client sends and how many were in flight at once."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()

    def on_request(self, request: httpx.Request) -> None:
        with self._lock:
            self.methods.append(request.method)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def on_response(self, response: httpx.Response) -> None:
        with self._lock:
            self._in_flight -= 1


@pytest.fixture
def log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def client(log: RequestLog) -> Iterator[httpx.Client]:
    hooks = {"request": [log.on_request], "response": [log.on_response]}
    with httpx.Client(event_hooks=hooks) as http:  # type: ignore[arg-type]
        yield http


class Progress:
    def __init__(self) -> None:
        self.total = 0
        self.threads: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self, count: int) -> None:
        assert count > 0
        with self._lock:
            self.total += count
            self.threads.add(threading.get_ident())


def _file(tmp_path: Path, name: str, data: bytes) -> tuple[str, UploadRequest]:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path), UploadRequest(hash_bytes(data), len(data))


# --- against the object store ----------------------------------------------------------------------


def test_a_put_upload_and_a_download_round_trip_with_progress(
    store: ObjectBlobStore, client: httpx.Client, tmp_path: Path
) -> None:
    data = os.urandom(3 * MIB + 5)
    path, request = _file(tmp_path, "data.bin", data)
    [target] = plan_uploads(store, [request])
    sent = Progress()
    completion = upload(target, path, client=client, progress=sent)
    assert completion is not None and sent.total == len(data)
    assert complete_uploads(store, [completion]) == [request.digest]

    [where] = plan_downloads(store, [request.digest])
    received = Progress()
    dest = tmp_path / "received.bin"
    assert download(where, str(dest), client=client, progress=received) == len(data)
    assert dest.read_bytes() == data and received.total == len(data)


def test_multipart_parts_are_sent_in_parallel(
    store: ObjectBlobStore, client: httpx.Client, log: RequestLog, tmp_path: Path
) -> None:
    data = os.urandom(20 * MIB)
    path, request = _file(tmp_path, "big.bin", data)
    [target] = plan_uploads(store, [request], MULTIPART)
    progress = Progress()
    completion = upload(target, path, client=client, progress=progress)
    assert completion is not None
    assert sorted(p.part_number for p in completion.parts) == [1, 2, 3]
    assert log.methods == ["PUT"] * 3 and log.max_in_flight >= 2
    assert progress.total == len(data) and len(progress.threads) >= 2
    complete_uploads(store, [completion])
    with store.open(request.digest) as reader:
        assert reader.read() == data


def test_a_killed_client_resumes_its_multipart_upload_sending_only_the_missing_parts(
    store: ObjectBlobStore, s3_url: str, client: httpx.Client, log: RequestLog, tmp_path: Path
) -> None:
    data = os.urandom(20 * MIB)
    path, request = _file(tmp_path, "checkpoint.pt", data)
    journal_dir = tmp_path / "journal"
    killed = subprocess.run(
        [sys.executable, "-m", "tests.client.killed_uploader", s3_url, path, str(journal_dir), str(16 * MIB)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == KILLED_EXIT_CODE, killed.stderr

    journal = UploadJournal(str(journal_dir))
    token = journal.resume_token(request.digest)
    assert token is not None
    [target] = plan_uploads(store, [dataclasses.replace(request, resume=token)], MULTIPART)
    assert [p.part_number for p in target.uploaded] == [1]
    completion = upload(target, path, client=client, journal=journal)
    assert log.methods == ["PUT", "PUT"]  # parts 2 and 3 only
    assert completion is not None
    complete_uploads(store, [completion])
    journal.forget(request.digest)
    assert journal.resume_token(request.digest) is None
    with store.open(request.digest) as reader:
        assert reader.read() == data


def test_many_small_files_upload_in_parallel(
    store: ObjectBlobStore, client: httpx.Client, log: RequestLog, tmp_path: Path
) -> None:
    files = [_file(tmp_path, f"f{i}.txt", f"file number {i}".encode()) for i in range(40)]
    targets = plan_uploads(store, [request for _, request in files])
    completions = upload_all([(t, path) for t, (path, _) in zip(targets, files, strict=True)], client=client)
    assert len(completions) == 40 and log.max_in_flight >= 2
    complete_uploads(store, completions)
    assert store.missing([request.digest for _, request in files]) == set()


def test_a_file_whose_size_changed_since_hashing_is_not_sent(
    store: ObjectBlobStore, client: httpx.Client, log: RequestLog, tmp_path: Path
) -> None:
    path, request = _file(tmp_path, "grew.csv", b"a,b\n1,2\n")
    [target] = plan_uploads(store, [request])
    Path(path).write_bytes(b"a,b\n1,2\n3,4\n")
    with pytest.raises(FileChangedError, match=r"grew\.csv changed before it was uploaded"):
        upload(target, path, client=client)
    assert log.methods == []


def test_a_file_rewritten_in_place_is_detected_and_never_stored(
    store: ObjectBlobStore, client: httpx.Client, tmp_path: Path
) -> None:
    path, request = _file(tmp_path, "model.pt", b"weights after epoch 1")
    [target] = plan_uploads(store, [request])
    Path(path).write_bytes(b"weights after epoch 2")  # same size, other bytes
    with pytest.raises(FileChangedError, match=r"model\.pt changed while it was being uploaded"):
        upload(target, path, client=client)
    assert target.upload_id
    # The bytes did reach the staging key; a client that completed anyway is refused.
    with pytest.raises(IntegrityError, match=f"blob {request.digest} was rejected"):
        complete_uploads(store, [UploadCompletion(request.digest, target.upload_id)])
    assert store.missing([request.digest]) == {request.digest}


def test_a_corrupted_blob_is_refused_on_download_and_removed(
    store: ObjectBlobStore, s3_prefix: str, client: httpx.Client, tmp_path: Path
) -> None:
    digest = hash_bytes(b"what the manifest promises")
    s3_client().put_object(Bucket=BUCKET, Key=f"{s3_prefix}/{store.blob_key(digest)}", Body=b"rotten bytes")
    [where] = plan_downloads(store, [digest])
    dest = tmp_path / "out.bin"
    with pytest.raises(IntegrityError, match=f"blob {digest} arrived corrupted"):
        download(where, str(dest), client=client)
    assert not dest.exists()


def test_downloading_an_absent_blob_is_blob_not_found(
    store: ObjectBlobStore, client: httpx.Client, tmp_path: Path
) -> None:
    digest = hash_bytes(b"never stored")
    [where] = plan_downloads(store, [digest])
    with pytest.raises(BlobNotFoundError, match=digest):
        download(where, str(tmp_path / "x"), client=client)
    assert not (tmp_path / "x").exists()


def test_targets_that_need_no_presigned_transfer(client: httpx.Client, tmp_path: Path) -> None:
    digest = hash_bytes(b"x")
    assert upload(UploadTarget(digest, 1, TransferMode.STORED), "unused", client=client) is None
    with pytest.raises(UsageError, match="goes through the API server"):
        upload(UploadTarget(digest, 1, TransferMode.VIA_SERVER), "unused", client=client)
    with pytest.raises(UsageError, match="comes through the API server"):
        download(DownloadTarget(digest, TransferMode.VIA_SERVER), str(tmp_path / "x"), client=client)


# --- against a misbehaving loopback server -----------------------------------------------------------


class Misbehaving(BaseHTTPRequestHandler):
    """PUT: answers with the next status of ``put_statuses`` (200 + an ETag once they run out).
    GET: serves ``body``, cutting the first response off halfway; honours ``Range``."""

    put_statuses: ClassVar[list[int]] = []
    body = b""
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(("PUT", None))
        status = self.put_statuses.pop(0) if self.put_statuses else 200
        self.send_response(status)
        self.send_header("ETag", '"etag-1"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        requested = self.headers.get("Range")
        self.seen.append(("GET", requested))
        if requested is None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body[: len(self.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        start = int(requested.removeprefix("bytes=").removesuffix("-"))
        self.send_response(206)
        self.send_header("Content-Length", str(len(self.body) - start))
        self.end_headers()
        self.wfile.write(self.body[start:])


@pytest.fixture
def misbehaving() -> Iterator[str]:
    Misbehaving.put_statuses, Misbehaving.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _put_target(url: str, data: bytes) -> UploadTarget:
    upload_id = new_upload_id(0, "0" * 32)
    return UploadTarget(hash_bytes(data), len(data), TransferMode.PUT, upload_id, f"{url}/obj?X-Sig=secret")


def test_a_failed_put_is_retried_and_progress_counts_each_byte_once(misbehaving: str, tmp_path: Path) -> None:
    data = os.urandom(3 * MIB)
    path, _ = _file(tmp_path, "retried.bin", data)
    Misbehaving.put_statuses = [503, 500]
    progress = Progress()
    with httpx.Client() as client:
        completion = upload(_put_target(misbehaving, data), path, client=client, progress=progress)
    assert completion is not None
    assert [method for method, _ in Misbehaving.seen] == ["PUT"] * 3
    assert progress.total == len(data)


def test_a_put_that_keeps_failing_gives_up_without_leaking_the_signature(
    misbehaving: str, tmp_path: Path
) -> None:
    path, _ = _file(tmp_path, "doomed.bin", b"doomed")
    Misbehaving.put_statuses = [503] * 10
    with (
        httpx.Client() as client,
        pytest.raises(CommError, match="failed 2 times, last with HTTP 503") as info,
    ):
        upload(_put_target(misbehaving, b"doomed"), path, client=client, attempts=2)
    assert "secret" not in str(info.value)


def test_a_refused_put_is_not_retried(misbehaving: str, tmp_path: Path) -> None:
    path, _ = _file(tmp_path, "expired.bin", b"expired")
    Misbehaving.put_statuses = [403]
    with httpx.Client() as client, pytest.raises(CommError, match="HTTP 403"):
        upload(_put_target(misbehaving, b"expired"), path, client=client)
    assert len(Misbehaving.seen) == 1


def test_a_dropped_download_resumes_with_a_range_request(misbehaving: str, tmp_path: Path) -> None:
    Misbehaving.body = os.urandom(2 * MIB + 17)
    target = DownloadTarget(hash_bytes(Misbehaving.body), TransferMode.GET, f"{misbehaving}/blob")
    progress = Progress()
    dest = tmp_path / "resumed.bin"
    with httpx.Client() as client:
        download(target, str(dest), client=client, progress=progress)
    assert dest.read_bytes() == Misbehaving.body
    [(_, first_range), (_, second_range)] = Misbehaving.seen
    assert first_range is None and second_range is not None
    resumed_at = int(second_range.removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= len(Misbehaving.body) // 2  # continued, not started over
    assert progress.total == len(Misbehaving.body)


# --- the journal -------------------------------------------------------------------------------------


def test_the_journal_remembers_forgets_and_drops_unreadable_entries(tmp_path: Path) -> None:
    journal = UploadJournal(str(tmp_path / "journal"))
    digest = hash_bytes(b"x")
    token = ResumeToken(new_upload_id(1_700_000_000, "a" * 32), "multipart-1")
    assert journal.resume_token(digest) is None
    journal.remember(digest, token)
    assert UploadJournal(str(tmp_path / "journal")).resume_token(digest) == token
    journal.forget(digest)
    assert journal.resume_token(digest) is None
    (tmp_path / "journal" / f"{digest}.json").write_text("{not json")
    assert journal.resume_token(digest) is None
    assert not (tmp_path / "journal" / f"{digest}.json").exists()
