"""Logging versions: numbering, latest and aliases, dedup, type conflicts, wait,
failures at run end, edits after logging, new_draft and delete."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

import archivist
from archivist.core.errors import (
    ArtifactFinalizedError,
    ConflictError,
    FileChangedError,
    TypeConflictError,
)
from archivist.core.manifest import hash_bytes
from archivist.sdk.held_bytes import HELD_FILE_MAX_BYTES

pytestmark = pytest.mark.usefixtures("archivist_env")


def _log(run, name: str, files: dict[str, str], tmp: Path, **kwargs) -> archivist.Artifact:
    art = archivist.Artifact(name, type=kwargs.pop("type", "dataset"))
    for rel, text in files.items():
        with art.new_file(rel, mode="w") as f:
            f.write(text)
    return run.log_artifact(art, **kwargs).wait()


def test_versions_are_dense_and_latest_moves(tmp_path: Path, default_entity: str) -> None:
    with archivist.init(project="p") as run:
        v0 = _log(run, "d", {"a": "0"}, tmp_path)
        v1 = _log(run, "d", {"a": "1"}, tmp_path, aliases=["best"])
        v2 = _log(run, "d", {"a": "2"}, tmp_path)
    assert [v0.version, v1.version, v2.version] == ["v0", "v1", "v2"]
    api = archivist.Api()
    assert api.artifact("p/d:latest").version == "v2"
    assert api.artifact("p/d").version == "v2"
    assert api.artifact("p/d:best").version == "v1"
    assert sorted(api.artifact("p/d:v1").aliases) == ["best"]
    assert v2.name == "d:v2" and v2.qualified_name == f"{default_entity}/p/d:v2"
    assert v2.entity == default_entity and v2.project == "p" and v2.type == "dataset"
    assert v2.state == "COMMITTED" and v2.file_count == 1 and v2.size == 1
    assert v2.created_at and v2.updated_at and v2.id


def test_custom_alias_is_unique_per_collection(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        _log(run, "d", {"a": "0"}, tmp_path, aliases=["prod"])
        _log(run, "d", {"a": "1"}, tmp_path, aliases=["prod"])
    api = archivist.Api()
    assert api.artifact("p/d:prod").version == "v1"
    assert "prod" not in api.artifact("p/d:v0").aliases


def test_identical_content_is_not_a_new_version(tmp_path: Path, capsys) -> None:
    with archivist.init(project="p") as run:
        first = _log(run, "d", {"a": "same"}, tmp_path)
        _log(run, "d", {"a": "other"}, tmp_path)
        again = _log(run, "d", {"a": "same"}, tmp_path, aliases=["back"])
    assert again.version == first.version == "v0"
    assert "identical to v0" in capsys.readouterr().err
    api = archivist.Api()
    assert api.artifact("p/d:latest").version == "v0"  # latest moves to the matched version
    assert api.artifact("p/d:back").version == "v0"
    assert len(api.artifacts("dataset", "p/d")) == 2


def test_type_conflict(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        _log(run, "cats", {"a": "0"}, tmp_path, type="dataset")
        with pytest.raises(TypeConflictError, match="already exists .* with type 'dataset'"):
            _log(run, "cats", {"a": "1"}, tmp_path, type="model")


def test_finalized_after_logging(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        art = _log(run, "d", {"a": "0"}, tmp_path)
        with pytest.raises(ArtifactFinalizedError):
            art.add_file(__file__)
        with pytest.raises(ArtifactFinalizedError), art.new_file("x") as f:
            f.write("x")


def test_log_path_string(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"weights")
    with archivist.init(project="p", id="run1") as run:
        art = run.log_artifact(str(tmp_path / "model.bin")).wait()
    assert art.name == "run-run1-model.bin:v0" and art.type == "unspecified"
    with archivist.init(project="p") as run, pytest.raises(ValueError, match="neither a file"):
        run.log_artifact(str(tmp_path / "nope"))


# Files above this size are not held in memory (with policy="immutable": read again when stored).
_NOT_HELD = HELD_FILE_MAX_BYTES + 1


def test_an_immutable_file_changed_before_upload_fails_loudly(tmp_path: Path) -> None:
    src = tmp_path / "weights.bin"
    src.write_bytes(b"A" * _NOT_HELD)
    run = archivist.init(project="p")
    art = archivist.Artifact("m", type="model")
    art.add_file(str(src), policy="immutable")
    src.write_bytes(b"B" * _NOT_HELD)  # changed after hashing, before the upload
    run.log_artifact(art)
    with pytest.raises(FileChangedError, match=r"weights\.bin.*policy='immutable' must not change"):
        art.wait()
    assert not archivist.Api().artifact_exists("p/m")
    run.finish()


def test_pending_failure_raises_when_the_run_ends(tmp_path: Path) -> None:
    src = tmp_path / "w.bin"
    src.write_bytes(b"A" * _NOT_HELD)
    with pytest.raises(FileChangedError), archivist.init(project="p") as run:
        art = archivist.Artifact("m", type="model")
        art.add_file(str(src), policy="immutable")
        src.write_bytes(b"C" * _NOT_HELD)
        run.log_artifact(art)
    assert not archivist.Api().artifact_exists("p/m")
    assert archivist.Api().run(f"p/{run.id}").state == "failed"


def test_small_file_changed_after_adding_logs_the_added_content(tmp_path: Path) -> None:
    """Small files are kept in memory from hashing: the version holds what was added."""
    src = tmp_path / "labels.txt"
    src.write_bytes(b"added")
    with archivist.init(project="p") as run:
        art = archivist.Artifact("labels", type="dataset")
        art.add_file(str(src))
        src.write_bytes(b"changed later")
        run.log_artifact(art).wait()
    logged = archivist.Api().artifact("p/labels:v0")
    assert logged.manifest.entries["labels.txt"].size == len(b"added")
    out = logged.download(root=str(tmp_path / "out"))
    assert (Path(out) / "labels.txt").read_bytes() == b"added"


@pytest.mark.embedded_only("checks that the embedded store holds the blob right after add_file")
def test_the_embedded_store_takes_a_large_file_when_it_is_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blob_folder: Path
) -> None:
    from archivist.storage.local import LocalBlobStore

    src = tmp_path / "weights.bin"
    src.write_bytes(b"C" * (3 << 20))
    art = archivist.Artifact("w", type="model")
    entry = art.add_file(str(src))
    assert entry.digest == hash_bytes(b"C" * (3 << 20))
    assert LocalBlobStore(str(blob_folder)).missing([entry.digest]) == set()


def test_relogging_unchanged_content_returns_the_same_version(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.txt").write_text(str(i))
    with archivist.init(project="p") as run:
        first = archivist.Artifact("d", type="dataset")
        first.add_dir(str(folder))
        run.log_artifact(first, aliases=["one"]).wait()
        again = archivist.Artifact("d", type="dataset")
        again.add_dir(str(folder))
        run.log_artifact(again, aliases=["two"]).wait()
    assert (first.version, again.version) == ("v0", "v0")
    assert sorted(archivist.Api().artifact("p/d:v0").aliases) == ["latest", "one", "two"]


def test_edit_logged_version(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        art = _log(run, "d", {"a": "0"}, tmp_path, tags=["raw"])
    art.description = "A **card**"
    art.metadata = {"rows": 3}
    art.aliases.append("best")
    art.tags = ["raw", "checked"]
    art.ttl = dt.timedelta(days=30)
    art.save()
    again = archivist.Api().artifact("p/d:best")
    assert again.description == "A **card**" and again.metadata == {"rows": 3}
    assert sorted(again.aliases) == ["best", "latest"]
    assert again.tags == ["raw", "checked"] and again.ttl == dt.timedelta(days=30)
    again.aliases.remove("best")
    again.ttl = None
    again.save()
    assert not archivist.Api().artifact_exists("p/d:best")
    assert archivist.Api().artifact("p/d").ttl is None


def test_tags_filter(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        _log(run, "d", {"a": "0"}, tmp_path, tags=["x"])
        _log(run, "d", {"a": "1"}, tmp_path, tags=["x", "y"])
    api = archivist.Api()
    assert [a.version for a in api.artifacts("dataset", "p/d", tags=["x", "y"])] == ["v1"]
    assert [a.version for a in api.artifacts("dataset", "p/d", tags=["x"])] == ["v1", "v0"]
    assert [a.version for a in api.artifacts("dataset", "p/d", order="+version")] == ["v0", "v1"]


def test_new_draft_reuses_stored_files(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        base = _log(run, "d", {"keep.txt": "keep", "drop.txt": "drop"}, tmp_path)
        draft = base.new_draft()
        assert draft.is_draft() and draft.name == "d"
        draft.remove("drop.txt")
        with draft.new_file("added.txt", mode="w") as f:
            f.write("added")
        nxt = run.log_artifact(draft).wait()
    assert nxt.version == "v1"
    root = nxt.download(str(tmp_path / "out"))
    assert sorted(p.name for p in Path(root).iterdir()) == ["added.txt", "keep.txt"]
    assert (Path(root) / "keep.txt").read_text() == "keep"


def test_delete_version(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        _log(run, "d", {"a": "0"}, tmp_path)
        v1 = _log(run, "d", {"a": "1"}, tmp_path)
    with pytest.raises(ConflictError, match="delete_aliases=True"):
        v1.delete()
    v1.delete(delete_aliases=True)
    api = archivist.Api()
    assert api.artifact("p/d:latest").version == "v0"
    assert not api.artifact_exists("p/d:v1")
    with archivist.init(project="p") as run:
        assert _log(run, "d", {"a": "2"}, tmp_path).version == "v2"  # numbers are never reused


def test_use_artifact_records_lineage_and_checks_type(tmp_path: Path) -> None:
    with archivist.init(project="p", job_type="make") as maker:
        _log(maker, "d", {"a": "0"}, tmp_path)
    with archivist.init(project="p", job_type="consume") as user:
        art = user.use_artifact("d:latest")
        with pytest.raises(ValueError, match="type 'dataset', not 'model'"):
            user.use_artifact("d:latest", type="model")
    assert art.logged_by().id == maker.id
    assert [r.id for r in art.used_by()] == [user.id]
    api = archivist.Api()
    assert [a.name for a in api.run(f"p/{maker.id}").logged_artifacts()] == ["d:v0"]
    assert [a.name for a in api.run(f"p/{user.id}").used_artifacts()] == ["d:v0"]


def test_use_draft_logs_it_without_a_producer(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        art = archivist.Artifact("made", type="dataset")
        with art.new_file("x", mode="w") as f:
            f.write("x")
        used = run.use_artifact(art)
        assert used.version == "v0"
        again = archivist.Artifact("made", type="dataset")
        with again.new_file("x", mode="w") as f:
            f.write("x")
        assert run.use_artifact(again).version == "v0"  # idempotent through dedup
    assert used.logged_by() is None
    assert [r.id for r in used.used_by()] == [run.id]


def test_module_level_shortcuts(tmp_path: Path) -> None:
    run = archivist.init(project="p")
    assert archivist.run is run
    art = archivist.Artifact("d", type="dataset")
    with art.new_file("a", mode="w") as f:
        f.write("a")
    archivist.log_artifact(art)
    archivist.finish()
    assert art.version == "v0"  # finish waited for the pending log
    assert archivist.run is None


def test_save_draft_without_run_creates_auto_run(tmp_path: Path) -> None:
    art = archivist.Artifact("solo", type="dataset")
    with art.new_file("a", mode="w") as f:
        f.write("a")
    art.save(project="p")
    assert art.version == "v0"
    assert art.logged_by().job_type == "auto"


def _log_many(folder: Path) -> archivist.Artifact:
    """Log ``folder`` as artifact 'many' of project 'p'; the version logged."""
    with archivist.init(project="p") as run:
        art = archivist.Artifact("many", type="dataset")
        art.add_dir(str(folder))
        run.log_artifact(art).wait()
    return archivist.Api().artifact("p/many:v0")


def _folder_of(tmp_path: Path, count: int, text: str) -> Path:
    folder = tmp_path / "many"
    folder.mkdir(exist_ok=True)
    for i in range(count):
        (folder / f"{i:03d}.txt").write_text(f"{text} {i}")
    return folder


def test_files_of_a_large_add_dir_changed_after_adding_log_the_added_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the embedded store add_dir packs small files while hashing them (a server keeps
    their bytes for the upload): either way the version holds what was added."""
    import archivist.sdk.draft_contents as draft

    monkeypatch.setattr(draft, "SINK_MIN_FILES", 4)
    folder = _folder_of(tmp_path, 40, "added")
    with archivist.init(project="p") as run:
        art = archivist.Artifact("many", type="dataset")
        art.add_dir(str(folder))
        _folder_of(tmp_path, 40, "changed later")
        run.log_artifact(art).wait()
    out = Path(archivist.Api().artifact("p/many:v0").download(root=str(tmp_path / "out")))
    assert sorted(p.read_text() for p in out.iterdir()) == sorted(f"added {i}" for i in range(40))


@pytest.mark.embedded_only("breaks the embedded store's background packing")
def test_a_failed_background_pack_is_made_good_by_the_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blob_folder: Path
) -> None:
    import archivist.sdk.draft_contents as draft
    from archivist.storage.local import LocalBlobStore
    from archivist.storage.store_sink import StoreSink

    monkeypatch.setattr(draft, "SINK_MIN_FILES", 4)
    broken = LocalBlobStore(str(tmp_path / "broken"))
    Path(broken.packs_dir).mkdir(parents=True)
    Path(broken.index.path).write_bytes(b"not a database")
    monkeypatch.setattr(LocalBlobStore, "open_sink", lambda self: StoreSink(broken))
    folder = _folder_of(tmp_path, 40, "kept")
    logged = _log_many(folder)
    digests = [entry.digest for entry in logged.manifest.entries.values()]
    assert LocalBlobStore(str(blob_folder)).missing(digests) == set()
    out = Path(logged.download(root=str(tmp_path / "out")))
    assert sorted(p.read_text() for p in out.iterdir()) == sorted(f"kept {i}" for i in range(40))


@pytest.mark.embedded_only("the store setting of the embedded store")
def test_a_store_keeping_blobs_loose_stores_a_large_add_dir_as_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blob_folder: Path
) -> None:
    """The opt-in for link-mode downloads: every blob a file of its own, stored while hashing."""
    import archivist.sdk.draft_contents as draft
    from archivist.storage.local import LocalBlobStore

    monkeypatch.setattr(draft, "SINK_MIN_FILES", 4)
    monkeypatch.setenv("ARCHIVIST_PACK_SMALL_BLOBS", "0")
    folder = _folder_of(tmp_path, 40, "loose")
    logged = _log_many(folder)
    store = LocalBlobStore(str(blob_folder))
    digests = [entry.digest for entry in logged.manifest.entries.values()]
    assert all(os.path.isfile(store.blob_path(digest)) for digest in digests)
    assert store.index.sizes(digests) == {}  # none packed
    out = Path(logged.download(root=str(tmp_path / "out"), link=True))
    assert sorted(p.read_text() for p in out.iterdir()) == sorted(f"loose {i}" for i in range(40))
    assert all(os.stat(out / f"{i:03d}.txt").st_nlink > 1 for i in range(40))  # linked to the blobs


@pytest.mark.embedded_only("two embedded stores sharing one stat cache")
def test_files_the_stat_cache_knows_are_stored_when_the_store_lacks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stat cache knows a file's digest, not whether this store holds its bytes: the
    background check finds them absent and the save stores them from the files."""
    import archivist.sdk.draft_contents as draft

    monkeypatch.setattr(draft, "SINK_MIN_FILES", 4)
    folder = _folder_of(tmp_path, 40, "known")
    for file in folder.iterdir():  # settled long ago: the stat cache trusts what it recorded
        os.utime(file, (1_600_000_000, 1_600_000_000))
    for store in ("first", "second"):
        monkeypatch.setenv("ARCHIVIST_DIR", str(tmp_path / store))
        logged = _log_many(folder)
    out = Path(logged.download(root=str(tmp_path / "out")))
    assert sorted(p.read_text() for p in out.iterdir()) == sorted(f"known {i}" for i in range(40))
