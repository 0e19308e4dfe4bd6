"""Backend contract: committing versions (numbering, aliases, dedup, validation)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import (
    ArchivistError,
    BlobNotFoundError,
    IntegrityError,
    InvalidInputError,
    RunNotFoundError,
    TypeConflictError,
)
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import CommitRequest, RunRef, RunSpec, VersionQuery, VersionState
from tests.client.artifact_logging import (
    ENTITY,
    PROJECT,
    blobs_of,
    commit_manifest,
    log_files,
    log_text,
    store_files,
)


class CommitContract:
    def test_first_commit_is_v0_with_latest_and_sizes_from_the_manifest(self, backend: Backend) -> None:
        result = log_files(backend, "cats", {"a.txt": b"aaa", "dir/b.bin": b"bbbbb"}, description="kittens")
        version = result.version
        assert result.created is True
        assert (version.entity, version.project, version.collection, version.type) == (
            ENTITY,
            PROJECT,
            "cats",
            "dataset",
        )
        assert version.version_index == 0 and version.version == "v0"
        assert version.aliases == ("latest",)
        assert version.size == 8 and version.file_count == 2
        assert version.state is VersionState.COMMITTED
        assert version.description == "kittens"
        assert version.id.isdigit()
        created = dt.datetime.fromisoformat(version.created_at)
        assert created.utcoffset() == dt.timedelta(0)
        assert abs((dt.datetime.now(dt.timezone.utc) - created).total_seconds()) < 60

    def test_commit_stores_the_manifest_it_was_given(self, backend: Backend) -> None:
        version = log_files(backend, "cats", {"a.txt": b"aaa"}).version
        manifest = Manifest.from_bytes(blobs_of(backend).read_bytes(version.manifest_digest))
        assert manifest.digest() == version.digest
        assert [entry.path for entry in manifest] == ["a.txt"]

    def test_new_content_gets_the_next_number_and_latest_moves(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "one").version
        second = log_text(backend, "cats", "two").version
        assert second.version_index == 1
        assert second.aliases == ("latest",)
        assert backend.get_version(first.id).aliases == ()

    def test_requested_aliases_are_stored_with_latest_and_move_between_versions(
        self, backend: Backend
    ) -> None:
        first = log_text(backend, "cats", "one", aliases=("best", "prod")).version
        assert first.aliases == ("best", "prod", "latest")
        second = log_text(backend, "cats", "two", aliases=("best",)).version
        assert second.aliases == ("best", "latest")
        assert backend.get_version(first.id).aliases == ("prod",)

    def test_identical_content_returns_the_existing_version_and_moves_aliases_to_it(
        self, backend: Backend
    ) -> None:
        first = log_text(backend, "cats", "one").version
        log_text(backend, "cats", "two")
        again = log_text(backend, "cats", "one", aliases=("again",))
        assert again.created is False
        assert again.version.id == first.id and again.version.version_index == 0
        assert set(again.version.aliases) == {"latest", "again"}
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "latest").id == first.id
        listed = backend.list_versions(VersionQuery(ENTITY, PROJECT, "cats"))
        assert [v.version_index for v in listed] == [1, 0]

    def test_identical_content_is_recognised_without_reading_the_manifest(self, backend: Backend) -> None:
        """Re-logging unchanged content names the committed version's manifest digest; the
        commit dedups on the artifact digest alone (a new-content commit still needs it)."""
        first = log_text(backend, "cats", "one").version
        absent_manifest = "e" * 64
        request = CommitRequest(ENTITY, PROJECT, "cats", "dataset", first.digest, absent_manifest)
        again = backend.commit_version(request)
        assert again.created is False and again.version.id == first.id
        fresh = Manifest([Entry("x.txt", "f" * 64, 1)])
        with pytest.raises(BlobNotFoundError, match="manifest"):
            backend.commit_version(
                CommitRequest(ENTITY, PROJECT, "cats", "dataset", fresh.digest(), absent_manifest)
            )

    def test_identical_content_in_another_collection_is_a_new_version(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "one").version
        other = log_text(backend, "dogs", "one")
        assert other.created is True and other.version.id != first.id

    def test_version_numbers_are_never_reused(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        second = log_text(backend, "cats", "two").version
        backend.delete_version(second.id, delete_aliases=True)
        third = log_text(backend, "cats", "three").version
        assert third.version_index == 2
        # content equal to a deleted version is not deduplicated against it
        again = log_text(backend, "cats", "two")
        assert again.created is True and again.version.version_index == 3

    def test_a_name_has_one_type_per_project(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        with pytest.raises(TypeConflictError) as caught:
            log_text(backend, "cats", "two", type_name="model")
        assert str(caught.value) == (
            "artifact 'cats' already exists in project 'proj' with type 'dataset'; "
            "cannot log it as type 'model'"
        )
        assert isinstance(caught.value, ValueError)
        # the same name in another project is unrelated
        assert log_text(backend, "cats", "two", type_name="model", project="other").created

    def test_internal_types_can_be_committed(self, backend: Backend) -> None:
        version = log_text(backend, "run-abc-table", "t", type_name="run_table").version
        assert version.type == "run_table"

    def test_tags_metadata_ttl_and_history_step_are_stored(self, backend: Backend) -> None:
        version = log_text(
            backend,
            "cats",
            "one",
            tags=("small", "clean data"),
            metadata={"rows": 3, "nested": {"ok": True}},
            ttl_seconds=86400,
            history_step=7,
        ).version
        fetched = backend.get_version(version.id)
        assert fetched.tags == ("small", "clean data")
        assert fetched.metadata == {"rows": 3, "nested": {"ok": True}}
        assert fetched.ttl_seconds == 86400
        assert fetched.history_step == 7
        assert fetched.producer is None

    @pytest.mark.parametrize(
        "fields",
        [
            {"aliases": ("v3",)},
            {"aliases": ("a/b",)},
            {"tags": ("bad!tag",)},
            {"metadata": {f"k{i}": i for i in range(101)}},
            {"ttl_seconds": 0},
            {"ttl_seconds": -5},
            {"entity": "bad entity"},
            {"project": "a/b"},
            {"history_step": -1},
        ],
    )
    def test_invalid_fields_are_refused(self, backend: Backend, fields: dict) -> None:
        with pytest.raises(InvalidInputError):
            log_text(backend, "cats", "one", **fields)
        assert backend.list_collections(ENTITY, PROJECT) == []

    def test_invalid_artifact_name_is_refused(self, backend: Backend) -> None:
        with pytest.raises(InvalidInputError, match="name"):
            log_text(backend, "cats:v1", "one")

    def test_digest_must_match_the_manifest(self, backend: Backend) -> None:
        manifest = store_files(backend, {"a.txt": b"a"})
        data = manifest.to_bytes()
        blobs_of(backend).upload_bytes(hash_bytes(data), data)
        wrong = hash_bytes(b"something else")
        with pytest.raises(IntegrityError, match=wrong):
            backend.commit_version(CommitRequest(ENTITY, PROJECT, "cats", "dataset", wrong, hash_bytes(data)))

    def test_manifest_must_be_stored(self, backend: Backend) -> None:
        manifest = store_files(backend, {"a.txt": b"a"})
        absent = hash_bytes(manifest.to_bytes())
        with pytest.raises(BlobNotFoundError, match=absent):
            backend.commit_version(
                CommitRequest(ENTITY, PROJECT, "cats", "dataset", manifest.digest(), absent)
            )

    def test_every_file_blob_must_be_stored(self, backend: Backend) -> None:
        present = store_files(backend, {"a.txt": b"here"})
        absent = Entry("b.txt", hash_bytes(b"never uploaded"), 14)
        manifest = Manifest([*present, absent])
        with pytest.raises(BlobNotFoundError) as caught:
            commit_manifest(backend, "cats", manifest)
        assert absent.digest in str(caught.value) and "1 blob" in str(caught.value)
        with pytest.raises(ArchivistError):
            backend.resolve_version(ENTITY, PROJECT, "cats", "latest")

    def test_reference_entries_need_no_blob(self, backend: Backend) -> None:
        manifest = Manifest([Entry("remote.csv", "etag-123", 10, ref="s3://bucket/remote.csv")])
        version = commit_manifest(backend, "refs", manifest).version
        assert version.file_count == 1 and version.size == 10

    def test_manifest_paths_are_validated_again(self, backend: Backend) -> None:
        data = b"x"
        blobs_of(backend).upload_bytes(hash_bytes(data), data)
        evil = Manifest([Entry("../escape.txt", hash_bytes(data), 1)])
        with pytest.raises(InvalidInputError, match="escape"):
            commit_manifest(backend, "cats", evil)

    def test_a_path_under_another_path_is_refused(self, backend: Backend) -> None:
        # "a" and "a/b" cannot both be on disk; paths sorting between them hide nothing
        crafted = store_files(backend, {"a": b"1", "a!": b"2", "a.txt": b"3", "a-b/c": b"4", "a/b": b"5"})
        with pytest.raises(InvalidInputError, match=r"'a' cannot be both a file and the folder of 'a/b'"):
            commit_manifest(backend, "nested", crafted)
        with pytest.raises(ArchivistError):
            backend.resolve_version(ENTITY, PROJECT, "nested", "latest")
        fine = store_files(backend, {"a": b"1", "a-b/c": b"4", "a.txt": b"3", "ab/c": b"6", "a0/d": b"7"})
        assert commit_manifest(backend, "nested", fine).version.file_count == 5

    def test_commit_by_a_run_records_producer_and_output(self, backend: Backend) -> None:
        ref = RunRef(ENTITY, PROJECT, "run1")
        backend.upsert_run(RunSpec(ref=ref, job_type="train"))
        version = log_text(backend, "cats", "one", run=ref, history_step=3).version
        assert version.producer == ref
        assert [v.id for v in backend.run_outputs(ref)] == [version.id]
        producer = backend.version_producer(version.id)
        assert producer is not None and producer.ref == ref

    def test_commit_by_an_unknown_run_is_refused(self, backend: Backend) -> None:
        with pytest.raises(RunNotFoundError, match="ent/proj/ghost"):
            log_text(backend, "cats", "one", run=RunRef(ENTITY, PROJECT, "ghost"))

    def test_identical_content_logged_by_another_run_adds_an_output_edge(self, backend: Backend) -> None:
        first, second = RunRef(ENTITY, PROJECT, "r1"), RunRef(ENTITY, PROJECT, "r2")
        for ref in (first, second):
            backend.upsert_run(RunSpec(ref=ref))
        version = log_text(backend, "cats", "one", run=first).version
        again = log_text(backend, "cats", "one", run=second)
        assert again.created is False
        assert [v.id for v in backend.run_outputs(second)] == [version.id]
        producer = backend.version_producer(version.id)
        assert producer is not None and producer.ref == first

    def test_an_entry_must_claim_its_blobs_size(self, backend: Backend) -> None:
        """A crafted manifest claiming 10**15 bytes for an 8-byte blob is refused, naming the entry."""
        stored = store_files(backend, {"small.bin": b"8 bytes!"})
        entry = stored.get("small.bin")
        assert entry is not None
        lying = Manifest([dataclasses.replace(entry, size=10**15)])
        with pytest.raises(IntegrityError, match=r"'small.bin' claims 10{15} bytes for blob .* holds 8"):
            commit_manifest(backend, "liar", lying)
        with pytest.raises(ArchivistError):
            backend.resolve_version(ENTITY, PROJECT, "liar", "latest")
        two_sizes = Manifest([entry, dataclasses.replace(entry, path="again.bin", size=9)])
        with pytest.raises(IntegrityError, match="another size than an earlier entry"):
            commit_manifest(backend, "liar", two_sizes)
