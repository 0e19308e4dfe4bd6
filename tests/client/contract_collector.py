"""Backend contract: the collector (purge, blobs, dry run, explain) and storage accounting."""

from __future__ import annotations

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError, NotFoundError
from archivist.core.manifest import hash_bytes
from tests.client.artifact_logging import ENTITY, PROJECT, blobs_of, log_files

BIG = b"x" * 4000
SHARED = b"s" * 1000


def _missing(backend: Backend, *data: bytes) -> list[str]:
    return blobs_of(backend).missing_blobs(sorted(hash_bytes(d) for d in data))


class CollectorContract:
    def test_a_deleted_version_is_kept_restorable_until_its_grace_passed(self, backend: Backend) -> None:
        version = log_files(backend, "gc-cats", {"own": BIG}).version
        backend.delete_version(version.id, delete_aliases=True)
        kept = backend.collect_garbage()  # default grace: 7 days
        assert kept.purged_versions == () and kept.removed_blobs == 0 and kept.kept_deleted_versions == 1
        assert _missing(backend, BIG) == []
        done = backend.collect_garbage(0)
        assert done.purged_versions == (f"{ENTITY}/{PROJECT}/gc-cats:v0",)
        assert done.removed_blobs == 2 and done.removed_bytes >= len(BIG)  # the file and the manifest
        assert _missing(backend, BIG) == [hash_bytes(BIG)]
        with pytest.raises(ArtifactNotFoundError):
            backend.get_version(version.id)
        again = log_files(backend, "gc-cats", {"own": b"new"}).version
        assert again.version_index == 1  # a purged version's number is never reused

    def test_the_dry_run_changes_nothing_and_plans_what_the_run_does(self, backend: Backend) -> None:
        log_files(backend, "gc-keep", {"shared": SHARED, "k": b"kept"})
        doomed = [
            log_files(backend, "gc-drop", {"shared": SHARED, "d": b"d%d" % i * 300}).version for i in range(3)
        ]
        for version in doomed[:2]:
            backend.delete_version(version.id, delete_aliases=True)
        plan = backend.collect_garbage(0, dry_run=True)
        assert plan.dry_run and backend.collect_garbage(0, dry_run=True) == plan  # nothing changed
        assert _missing(backend, b"d0" * 300) == []
        done = backend.collect_garbage(0)
        assert (plan.purged_versions, plan.removed_blobs, plan.removed_bytes) == (
            done.purged_versions,
            done.removed_blobs,
            done.removed_bytes,
        )
        assert len(done.purged_versions) == 2 and not done.dry_run
        assert _missing(backend, SHARED, b"d2" * 300) == []

    def test_explain_names_what_holds_a_blob(self, backend: Backend) -> None:
        first = log_files(backend, "gc-chain", {"a": SHARED, "b": b"one"}).version
        log_files(backend, "gc-chain", {"a": SHARED, "b": b"two"})
        other = log_files(backend, "gc-other", {"a": SHARED}).version
        backend.delete_version(other.id, delete_aliases=True)
        holders = backend.explain_blob(hash_bytes(SHARED))
        assert holders.stored and holders.size == len(SHARED) and holders.kept
        assert holders.versions == (
            f"{ENTITY}/{PROJECT}/gc-chain:v0",
            f"{ENTITY}/{PROJECT}/gc-other:v0 (deleted)",
        )
        assert holders.chains == (f"{ENTITY}/{PROJECT}/gc-chain:v1 via v0",)
        manifest = backend.explain_blob(first.manifest_digest)
        assert manifest.versions == (f"{ENTITY}/{PROJECT}/gc-chain:v0",)
        nothing = backend.explain_blob("0" * 64)
        assert not nothing.stored and not nothing.kept and nothing.versions == ()

    @pytest.mark.parametrize("digest", ["0" * 63, "0" * 64 + "0", "G" * 64, " " + "0" * 64])
    def test_explain_refuses_what_is_no_digest(self, backend: Backend, digest: str) -> None:
        with pytest.raises(InvalidInputError):
            backend.explain_blob(digest)

    @pytest.mark.parametrize("grace", [-1.0, -0.5])
    def test_a_bad_grace_is_refused(self, backend: Backend, grace: float) -> None:
        with pytest.raises(InvalidInputError, match="grace"):
            backend.collect_garbage(grace)

    def test_storage_usage_splits_exclusive_and_shared_bytes(self, backend: Backend) -> None:
        log_files(backend, "use-a", {"s": SHARED, "own": BIG})
        log_files(backend, "use-b", {"s": SHARED})
        log_files(backend, "use-c", {"x": b"y" * 500}, project="elsewhere")
        a = backend.storage_usage(ENTITY, PROJECT, "use-a")
        assert a.scope == f"{ENTITY}/{PROJECT}/use-a" and a.versions == 1 and a.blobs == 3
        assert a.shared_bytes == len(SHARED) and a.exclusive_bytes == a.total_bytes - len(SHARED)
        assert a.exclusive_bytes > len(BIG)  # its own file and its manifest
        project = backend.storage_usage(ENTITY, PROJECT)
        assert project.versions == 2 and project.shared_bytes == 0
        assert (
            project.total_bytes
            == a.total_bytes + backend.storage_usage(ENTITY, PROJECT, "use-b").exclusive_bytes
        )
        whole = backend.storage_usage(ENTITY)
        assert (
            whole.versions == 3
            and whole.total_bytes
            == project.total_bytes + backend.storage_usage(ENTITY, "elsewhere").total_bytes
        )

    def test_deleted_versions_count_until_purged(self, backend: Backend) -> None:
        version = log_files(backend, "use-del", {"own": BIG}).version
        before = backend.storage_usage(ENTITY, PROJECT, "use-del")
        backend.delete_version(version.id, delete_aliases=True)
        assert backend.storage_usage(ENTITY, PROJECT) == before.__class__(
            f"{ENTITY}/{PROJECT}", 1, before.blobs, before.total_bytes, before.total_bytes, 0
        )
        backend.collect_garbage(0)
        assert backend.storage_usage(ENTITY, PROJECT).total_bytes == 0

    def test_storage_usage_of_what_does_not_exist(self, backend: Backend) -> None:
        log_files(backend, "use-x", {"a": b"a"})
        with pytest.raises(NotFoundError):
            backend.storage_usage(ENTITY, "nowhere")
        with pytest.raises(NotFoundError):
            backend.storage_usage(ENTITY, PROJECT, "nothing")
