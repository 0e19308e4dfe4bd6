"""Garbage collection over SQLite and PostgreSQL: what is kept, what goes, and
that it never takes a blob from under a commit."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from archivist.core.errors import BlobNotFoundError, InvalidInputError
from archivist.core.manifest import Manifest, hash_bytes
from archivist.core.models import RunFile, RunRef, RunSpec, VersionQuery
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import gc_marks
from archivist.service import gc
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore
from tests.client.artifact_logging import ENTITY, PROJECT, commit_manifest, log_files, store_files


def _stored(service: Service) -> set[str]:
    return set(service.store.iter_digests())


def _age(service: Service, digest: str, seconds: float) -> None:
    """Make a blob look ``seconds`` old."""
    path = service.store.local_path(digest)
    assert path is not None
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_live_versions_keep_their_blobs_and_manifests(service: Service) -> None:
    version = log_files(service, "cats", {"a": b"aaa", "b": b"bbb"}).version
    before = _stored(service)
    assert len(before) == 3
    assert service.collect_garbage(grace_seconds=0) == 0
    assert _stored(service) == before
    assert service.read_bytes(version.manifest_digest)


def test_blobs_of_deleted_versions_go_unless_shared(service: Service) -> None:
    kept = log_files(service, "cats", {"shared": b"same", "own": b"kept only"}).version
    doomed = log_files(service, "dogs", {"shared": b"same", "own": b"deleted only"}).version
    service.delete_version(doomed.id, delete_aliases=True)
    assert service.collect_garbage(grace_seconds=0) == 2  # its own file and its manifest
    stored = _stored(service)
    assert hash_bytes(b"deleted only") not in stored and doomed.manifest_digest not in stored
    assert {hash_bytes(b"same"), hash_bytes(b"kept only"), kept.manifest_digest} <= stored


def test_deleting_a_collection_frees_its_blobs(service: Service) -> None:
    log_files(service, "cats", {"a": b"a1"})
    log_files(service, "cats", {"a": b"a2"})
    service.delete_collection(ENTITY, PROJECT, "cats")
    assert service.collect_garbage(grace_seconds=0) == 4
    assert _stored(service) == set()


def test_run_files_keep_their_blobs(service: Service) -> None:
    ref = RunRef(ENTITY, PROJECT, "r")
    service.upsert_run(RunSpec(ref=ref))
    service.upload_bytes(hash_bytes(b"log"), b"log")
    service.add_run_files(ref, [RunFile("output.log", hash_bytes(b"log"), 3)])
    assert service.collect_garbage(grace_seconds=0) == 0
    assert _stored(service) == {hash_bytes(b"log")}


def test_recent_unreferenced_blobs_survive_the_grace_period(service: Service) -> None:
    manifest = store_files(service, {"a": b"uploading", "b": b"old orphan"})
    _age(service, hash_bytes(b"old orphan"), 7200)
    assert service.collect_garbage() == 1
    assert _stored(service) == {hash_bytes(b"uploading")}
    # the log in flight can still commit: its blob is there
    assert commit_manifest(service, "cats", Manifest([manifest.get("a")])).created  # type: ignore[list-item]


def test_a_commit_whose_blobs_were_collected_fails_cleanly(service: Service) -> None:
    manifest = store_files(service, {"a": b"too slow"})
    service.collect_garbage(grace_seconds=0)
    with pytest.raises(BlobNotFoundError, match=hash_bytes(b"too slow")):
        commit_manifest(service, "cats", manifest)


class _RemoteLikeStore(LocalBlobStore):
    """A store that, like an object store, offers no local files (and so no mtimes)."""

    def local_path(self, digest: str) -> str | None:
        return None


def test_without_file_times_age_counts_from_the_first_sweep(service: Service, tmp_path: Path) -> None:
    remote = Service(service.engine, _RemoteLikeStore(str(tmp_path / "remote")))
    remote.upload_bytes(hash_bytes(b"orphan"), b"orphan")
    remote.upload_bytes(hash_bytes(b"reused"), b"reused")
    assert remote.collect_garbage(grace_seconds=0.5) == 0  # first seen unreferenced now
    with read_transaction(service.engine) as connection:
        assert len(connection.execute(select(gc_marks.c.digest)).all()) == 2
    log_files(remote, "cats", {"r": b"reused"})  # referenced again: its mark is dropped
    time.sleep(0.6)
    assert remote.collect_garbage(grace_seconds=0.5) == 1
    assert hash_bytes(b"reused") in set(remote.store.iter_digests())
    with read_transaction(service.engine) as connection:
        assert connection.execute(select(gc_marks.c.digest)).all() == []


def test_sweeps_in_batches(service: Service) -> None:
    for i in range(7):
        service.upload_bytes(hash_bytes(b"%d" % i), b"%d" % i)
    log_files(service, "cats", {"keep": b"0"})
    assert gc.collect_garbage(service.engine, service.store, 0, batch_size=2) == 6
    assert len(_stored(service)) == 2  # b"0" and the manifest


@pytest.mark.parametrize("grace", [-1, "soon", True])
def test_grace_period_is_validated(service: Service, grace: object) -> None:
    with pytest.raises(InvalidInputError, match="grace"):
        service.collect_garbage(grace)  # type: ignore[arg-type]


def test_collection_racing_commits_never_leaves_a_version_without_blobs(service: Service) -> None:
    stop = threading.Event()
    collected: list[int] = []

    def collect_until_stopped() -> None:
        while not stop.is_set():
            collected.append(service.collect_garbage(grace_seconds=0))
            time.sleep(0.002)

    collector = threading.Thread(target=collect_until_stopped)
    collector.start()
    committed = attempts = 0
    pause = random.Random(7)
    deadline = time.monotonic() + 20
    try:  # race until both sides have won at least a few times
        while (committed < 3 or sum(collected) < 3) and time.monotonic() < deadline:
            attempts += 1
            try:
                manifest = store_files(service, {"f": b"race %d" % attempts})
                time.sleep(pause.uniform(0, 0.006))  # the window in which the collector may strike
                commit_manifest(service, "cats", manifest)
                committed += 1
            except BlobNotFoundError:
                pass  # the collector took the uploaded blob first: a clean refusal
    finally:
        stop.set()
        collector.join()
    assert committed >= 3 and sum(collected) >= 3
    for version in service.list_versions(VersionQuery(ENTITY, PROJECT, "cats")):
        manifest = Manifest.from_bytes(service.read_bytes(version.manifest_digest))
        assert service.missing_blobs(sorted(manifest.blob_digests())) == []
