"""Garbage collection over SQLite and PostgreSQL: what is kept, what goes, and
that it never takes a blob from under a commit."""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from archivist.core.errors import ArtifactNotFoundError, BlobNotFoundError, InvalidInputError
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import RunFile, RunRef, RunSpec, VersionQuery, VersionUpdate
from archivist.metadata.engine import read_transaction, write_transaction
from archivist.metadata.schema import blob_grants, gc_marks, users, version_blobs, versions
from archivist.service import blob_access, blob_rows, gc
from archivist.service.accounts import Principal
from archivist.service.authorization import Access
from archivist.service.service import Service
from archivist.service.timestamps import utc_now
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
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 0
    assert _stored(service) == before
    assert service.read_bytes(version.manifest_digest)


def test_blobs_of_deleted_versions_go_unless_shared(service: Service) -> None:
    kept = log_files(service, "cats", {"shared": b"same", "own": b"kept only"}).version
    doomed = log_files(service, "dogs", {"shared": b"same", "own": b"deleted only"}).version
    service.delete_version(doomed.id, delete_aliases=True)
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 2  # its own file and its manifest
    stored = _stored(service)
    assert hash_bytes(b"deleted only") not in stored and doomed.manifest_digest not in stored
    assert {hash_bytes(b"same"), hash_bytes(b"kept only"), kept.manifest_digest} <= stored


def test_deleting_a_collection_frees_its_blobs(service: Service) -> None:
    log_files(service, "cats", {"a": b"a1"})
    log_files(service, "cats", {"a": b"a2"})
    service.delete_collection(ENTITY, PROJECT, "cats")
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 4
    assert _stored(service) == set()


def test_run_files_keep_their_blobs(service: Service) -> None:
    ref = RunRef(ENTITY, PROJECT, "r")
    service.upsert_run(RunSpec(ref=ref))
    service.upload_bytes(hash_bytes(b"log"), b"log")
    service.add_run_files(ref, [RunFile("output.log", hash_bytes(b"log"), 3)])
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 0
    assert _stored(service) == {hash_bytes(b"log")}


def test_recent_unreferenced_blobs_survive_the_grace_period(service: Service) -> None:
    manifest = store_files(service, {"a": b"uploading", "b": b"old orphan"})
    _age(service, hash_bytes(b"old orphan"), 7200)
    assert service.collect_garbage().removed_blobs == 1
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

    def blob_times(self, digests: Iterable[str]) -> dict[str, float]:
        return {}


def test_without_file_times_age_counts_from_the_first_sweep(service: Service, tmp_path: Path) -> None:
    remote = Service(service.engine, _RemoteLikeStore(str(tmp_path / "remote")))
    remote.upload_bytes(hash_bytes(b"orphan"), b"orphan")
    remote.upload_bytes(hash_bytes(b"reused"), b"reused")
    assert remote.collect_garbage(grace_seconds=0.5).removed_blobs == 0  # first seen unreferenced now
    with read_transaction(service.engine) as connection:
        assert len(connection.execute(select(gc_marks.c.digest)).all()) == 2
    log_files(remote, "cats", {"r": b"reused"})  # referenced again: its mark is dropped
    time.sleep(0.6)
    assert remote.collect_garbage(grace_seconds=0.5).removed_blobs == 1
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
            collected.append(service.collect_garbage(grace_seconds=0).removed_blobs)
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


# --- packed blobs (uploaded in batches) ------------------------------------------------------------


def _upload_packed(service: Service, folder: Path, files: dict[str, bytes]) -> Manifest:
    """Upload ``files`` as one batch (packed on a folder store) and return their manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    entries, items = [], []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        items.append((hash_bytes(data), str(folder / name)))
        entries.append(Entry(path=name, digest=hash_bytes(data), size=len(data)))
    service.upload_files(items)
    return Manifest(entries)


def _packs(service: Service) -> list[Path]:
    assert isinstance(service.store, LocalBlobStore)
    return sorted(Path(service.store.packs_dir).glob("*.pack"))


def _age_packs(service: Service, seconds: float) -> None:
    """Make every packed blob look ``seconds`` old."""
    assert isinstance(service.store, LocalBlobStore)
    with sqlite3.connect(service.store.index.path) as connection:
        connection.execute("UPDATE packs SET written_at = ?", (time.time() - seconds,))


def test_packed_blobs_of_a_deleted_version_are_collected_with_their_pack(
    service: Service, tmp_path: Path
) -> None:
    kept = _upload_packed(service, tmp_path / "kept", {f"k{i}": b"kept %d" % i for i in range(30)})
    doomed = _upload_packed(service, tmp_path / "doomed", {f"d{i}": b"doomed %d" % i for i in range(30)})
    assert len(_packs(service)) == 2
    commit_manifest(service, "cats", kept)
    version = commit_manifest(service, "dogs", doomed).version
    service.delete_version(version.id, delete_aliases=True)
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 31  # 30 packed blobs and the manifest
    assert len(_packs(service)) == 1
    assert service.missing_blobs(sorted(doomed.blob_digests())) == sorted(doomed.blob_digests())
    assert all(service.read_bytes(entry.digest) == b"kept %d" % i for i, entry in enumerate(kept))


def test_collection_compacts_a_pack_whose_blobs_mostly_went(service: Service, tmp_path: Path) -> None:
    files = {f"f{i:02d}": b"%02d" % i * 500 for i in range(40)}
    manifest = _upload_packed(service, tmp_path / "src", files)
    [old_pack] = _packs(service)
    old_size = old_pack.stat().st_size
    survivors = Manifest([entry for entry in manifest if entry.path < "f10"])
    commit_manifest(service, "cats", survivors)
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 30
    [new_pack] = _packs(service)
    assert new_pack != old_pack and new_pack.stat().st_size == old_size // 4
    assert all(service.read_bytes(entry.digest) == files[entry.path] for entry in survivors)


def test_recent_packed_blobs_survive_the_grace_period(service: Service, tmp_path: Path) -> None:
    old = _upload_packed(service, tmp_path / "old", {"a": b"old orphan", "b": b"another"})
    _age_packs(service, 7200)
    recent = _upload_packed(service, tmp_path / "new", {"a": b"uploading"})
    assert service.collect_garbage().removed_blobs == 2
    assert _stored(service) == recent.blob_digests()
    assert service.missing_blobs(sorted(old.blob_digests())) == sorted(old.blob_digests())


def test_collection_removes_old_packs_left_by_killed_writers(service: Service, tmp_path: Path) -> None:
    _upload_packed(service, tmp_path / "src", {"a": b"a"})
    assert isinstance(service.store, LocalBlobStore)
    orphan = Path(service.store.packs_dir) / ("0" * 32 + ".pack")
    orphan.write_bytes(b"half a batch")
    service.collect_garbage(grace_seconds=0)
    assert orphan.exists()  # recent: it may be a batch in progress
    long_ago = time.time() - 2 * gc.LEFTOVER_MIN_AGE_SECONDS
    os.utime(orphan, (long_ago, long_ago))
    service.collect_garbage(grace_seconds=0)
    assert not orphan.exists()


# --- versions whose blob rows extend a base version (service.blob_rows) ---------------------


def _rows(service: Service, version_id: str) -> tuple[int | None, set[str]]:
    """The base and the blob rows of a version."""
    with read_transaction(service.engine) as connection:
        number = connection.execute(select(versions.c.id).where(versions.c.id == int(version_id))).scalar()
        base = connection.execute(select(versions.c.base_version_id).where(versions.c.id == number)).scalar()
        rows = connection.execute(select(version_blobs.c.digest).where(version_blobs.c.version_id == number))
        return base, set(rows.scalars())


def _readable(service: Service, files: dict[str, bytes]) -> bool:
    return all(service.read_bytes(hash_bytes(data)) == data for data in files.values())


def test_a_new_version_has_rows_only_for_blobs_its_base_lacks(service: Service) -> None:
    files = {f"f{i}": f"file {i}".encode() for i in range(20)}
    first = log_files(service, "cats", files).version
    changed = {**files, "f3": b"rewritten", "new": b"added"}
    del changed["f5"]
    second = log_files(service, "cats", changed).version
    assert _rows(service, first.id) == (None, {hash_bytes(d) for d in files.values()})
    assert _rows(service, second.id) == (int(first.id), {hash_bytes(b"rewritten"), hash_bytes(b"added")})
    other = log_files(service, "dogs", changed).version  # another collection: a chain of its own
    assert _rows(service, other.id) == (None, {hash_bytes(d) for d in changed.values()})


def test_a_chain_starts_again_after_max_chain_versions(service: Service) -> None:
    bases = []
    for number in range(blob_rows.MAX_CHAIN + 1):
        version = log_files(service, "cats", {"same": b"s", "step": f"{number}".encode()}).version
        bases.append(_rows(service, version.id)[0])
    assert bases[0] is None and None not in bases[1 : blob_rows.MAX_CHAIN]
    assert bases[blob_rows.MAX_CHAIN] is None  # the 17th version holds all its rows again


def test_deleting_the_base_keeps_every_blob_of_the_versions_built_on_it(service: Service) -> None:
    files = {f"f{i}": f"file {i}".encode() for i in range(10)}
    first = log_files(service, "cats", files).version
    second = log_files(service, "cats", {**files, "f0": b"changed"}).version
    third = log_files(service, "cats", {**files, "f0": b"changed", "f1": b"changed too"}).version
    service.delete_version(first.id, delete_aliases=True)
    service.delete_version(second.id, delete_aliases=True)
    service.collect_garbage(grace_seconds=0)
    assert _readable(service, {**files, "f0": b"changed", "f1": b"changed too"} | {"x": b"file 2"})
    assert service.read_bytes(third.manifest_digest)
    stored = _stored(service)
    assert first.manifest_digest not in stored and second.manifest_digest not in stored


def test_blobs_a_chain_dropped_go_once_the_whole_chain_is_deleted(service: Service) -> None:
    first = log_files(service, "cats", {"a": b"only in the first", "b": b"both"}).version
    second = log_files(service, "cats", {"b": b"both"}).version
    service.delete_version(first.id, delete_aliases=True)
    service.collect_garbage(grace_seconds=0)
    assert hash_bytes(b"only in the first") in _stored(service)  # its base chain is still needed
    service.delete_version(second.id, delete_aliases=True)
    service.collect_garbage(grace_seconds=0)
    assert not {hash_bytes(b"only in the first"), hash_bytes(b"both")} & _stored(service)


def test_a_version_built_on_a_chain_that_lost_a_blob_cannot_commit_without_it(service: Service) -> None:
    first = log_files(service, "cats", {"a": b"first a"}).version
    service.delete_version(first.id, delete_aliases=True)
    service.collect_garbage(grace_seconds=0)
    manifest = Manifest([Entry("a", hash_bytes(b"first a"), 7)])
    with pytest.raises(BlobNotFoundError, match="missing from the store"):
        commit_manifest(service, "cats", manifest)


@pytest.mark.parametrize("is_admin", [False, True], ids=["member", "admin"])
def test_uploads_no_commit_references_are_kept_until_they_expire(
    sqlite_service: Service, is_admin: bool
) -> None:
    """A user's upload in progress survives a collection with no grace, an administrator's
    too (who has no quota, but whose upload a short grace must not reclaim before its commit);
    once its grant expired (a day), the collector forgets the grant and reclaims the bytes."""
    service = sqlite_service
    with write_transaction(service.engine) as connection:
        connection.execute(
            insert(users).values(id=7, name="uploader", is_admin=is_admin, created_at=utc_now())
        )
    uploader = service.for_user(Access(service.engine, Principal(7, "uploader", is_admin)))
    data = b"uploaded, not committed"
    uploader.reserve_uploads({hash_bytes(data): len(data)})
    service.store.put_bytes(hash_bytes(data), data)
    uploader.confirm_uploads({hash_bytes(data): len(data)})
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 0
    assert uploader.read_bytes(hash_bytes(data)) == data
    expired = utc_now() - dt.timedelta(seconds=blob_access.GRANT_LIFETIME_SECONDS + 1)
    with write_transaction(service.engine) as connection:
        connection.execute(update(blob_grants).values(created_at=expired))
    assert service.collect_garbage(grace_seconds=0).removed_blobs == 1
    assert hash_bytes(data) not in _stored(service)
    with read_transaction(service.engine) as connection:
        assert connection.execute(select(blob_grants)).first() is None


def test_the_dry_run_plans_exactly_what_the_run_does_down_base_chains(service: Service) -> None:
    """Purged bases hand their rows down: the plan must count only what truly goes."""
    first = log_files(service, "cats", {"a": b"only in the first", "b": b"both", "c": b"c1"}).version
    second = log_files(service, "cats", {"b": b"both", "c": b"c2"}).version
    third = log_files(service, "cats", {"b": b"both", "c": b"c3"}).version
    solo = log_files(service, "dogs", {"d": b"a dog alone"}).version
    for version in (first, second, solo):
        service.delete_version(version.id, delete_aliases=True)
    plan = service.collect_garbage(0, dry_run=True)
    done = service.collect_garbage(0)
    assert (plan.purged_versions, plan.removed_blobs, plan.removed_bytes) == (
        done.purged_versions,
        done.removed_blobs,
        done.removed_bytes,
    )
    # the manifests of the three purged versions and the dog's file go; the first's own
    # file stays (the third is built on it through the second), as do c2 and c3's
    assert done.removed_blobs == 4
    assert _readable(service, {"a": b"only in the first", "b": b"both", "c": b"c3"})
    assert service.read_bytes(third.manifest_digest)
    service.delete_version(third.id, delete_aliases=True)
    # then the rest: a, b, c1, c2, c3 and its manifest
    assert (
        service.collect_garbage(0, dry_run=True).removed_blobs
        == service.collect_garbage(0).removed_blobs
        == 6
    )


def test_explain_names_run_files_and_uploads_in_progress(sqlite_service: Service) -> None:
    service = sqlite_service
    ref = RunRef(ENTITY, PROJECT, "r1")
    service.upsert_run(RunSpec(ref=ref))
    service.upload_bytes(hash_bytes(b"log"), b"log")
    service.add_run_files(ref, [RunFile("output.log", hash_bytes(b"log"), 3)])
    assert service.explain_blob(hash_bytes(b"log")).run_files == (f"{ENTITY}/{PROJECT}/r1:output.log",)
    with write_transaction(service.engine) as connection:
        connection.execute(insert(users).values(id=9, name="up", is_admin=False, created_at=utc_now()))
    uploader = service.for_user(Access(service.engine, Principal(9, "up", False)))
    data = b"uploading, not committed"
    uploader.reserve_uploads({hash_bytes(data): len(data)})
    service.store.put_bytes(hash_bytes(data), data)
    holders = service.explain_blob(hash_bytes(data))
    assert holders.upload_grants == 1 and holders.kept and holders.versions == ()
    assert service.collect_garbage(0).removed_blobs == 0  # what explain says holds it, holds it


def test_the_collector_sweeps_expired_versions_first_and_its_dry_run_previews_it(service: Service) -> None:
    short = log_files(service, "short-lived", {"a.txt": b"expires soon"}).version
    kept = log_files(service, "long-lived", {"b.txt": b"no ttl"}).version
    service.update_version(short.id, VersionUpdate(ttl_seconds=60))
    later = utc_now() + dt.timedelta(hours=1)
    assert service.sweep_step is gc.expiry_step  # every service's collector sweeps first
    plan = gc.run_collection(
        service.engine, service.store, 0, dry_run=True, sweep=service.sweep_step, now=later
    )
    assert plan.swept_versions == 1
    assert service.get_version(short.id).version_index == 0  # the dry run deleted nothing
    done = gc.run_collection(service.engine, service.store, 0, sweep=service.sweep_step, now=later)
    assert done.swept_versions == 1
    with pytest.raises(ArtifactNotFoundError):
        service.get_version(short.id)
    assert service.get_version(kept.id).version_index == 0
