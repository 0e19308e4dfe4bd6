"""Reading versions as streams: files(path_prefix=), diff(), and large manifests that are
listed without being loaded whole (Archivist extensions)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import archivist
from archivist.core.errors import InvalidInputError
from archivist.core.manifest import Entry, Manifest, hash_bytes, iter_manifest_entries
from archivist.sdk import manifest_io
from archivist.sdk.context import get_context
from archivist.wire import manifest_blocks

pytestmark = pytest.mark.usefixtures("archivist_env")

FILES = {"a.txt": "alpha", "img/1.png": "one", "img/2.png": "two", "img2.png": "x", "deep/er/f": "f"}


def _log(name: str, fill) -> archivist.Artifact:  # type: ignore[no-untyped-def]
    with archivist.init(project="p") as run:
        art = archivist.Artifact(name, type="dataset")
        fill(art)
        run.log_artifact(art)
    return art


@pytest.fixture
def logged(make_tree) -> archivist.Artifact:  # type: ignore[no-untyped-def]
    root = make_tree("src", FILES)
    _log("d", lambda art: art.add_dir(str(root)))
    return archivist.Api().artifact("p/d:latest")


def test_files_by_plain_string_prefix(logged: archivist.Artifact) -> None:
    assert [f.path for f in logged.files(path_prefix="img")] == ["img/1.png", "img/2.png", "img2.png"]
    assert [f.path for f in logged.files(path_prefix="img/")] == ["img/1.png", "img/2.png"]
    assert [f.path for f in logged.files(path_prefix="nothing")] == []
    assert [f.path for f in logged.files()] == sorted(FILES)
    assert len(logged.files()) == 5 and len(logged.files(path_prefix="img")) == 3
    assert logged.files(path_prefix="img")[1].path == "img/2.png"
    assert logged.files()[-1].path == "img2.png"
    with pytest.raises(IndexError):
        logged.files(path_prefix="img")[3]
    listed = next(iter(logged.files(path_prefix="a")))
    assert (listed.size, listed.digest) == (5, hash_bytes(b"alpha"))
    assert listed.parent_artifact() is logged
    assert logged._manifest is None  # listed from the stored manifest, never loaded whole


def test_files_by_names_keep_the_order_asked(logged: archivist.Artifact) -> None:
    assert [f.path for f in logged.files(names=["img2.png", "missing", "a.txt"])] == ["img2.png", "a.txt"]
    assert [f.path for f in logged.files(names=["img2.png", "a.txt"], path_prefix="img")] == ["img2.png"]


def test_files_of_a_draft_and_of_a_version_logged_here(make_tree) -> None:  # type: ignore[no-untyped-def]
    root = make_tree("src", FILES)
    draft = archivist.Artifact("d", type="dataset")
    draft.add_dir(str(root))
    assert [f.path for f in draft.files(path_prefix="img")] == ["img/1.png", "img/2.png", "img2.png"]
    assert all(f.local_path for f in draft.files())
    here = _log("d", lambda art: art.add_dir(str(root)))
    assert [f.path for f in here.files(path_prefix="deep/")] == ["deep/er/f"]


def _next_version(make_tree) -> tuple[archivist.Artifact, archivist.Artifact]:  # type: ignore[no-untyped-def]
    root = make_tree("src", FILES)
    _log("d", lambda art: art.add_dir(str(root)))
    draft = archivist.Api().artifact("p/d:v0").new_draft()
    draft.remove("img/1.png")
    extra = make_tree("more", {"new.txt": "brand new", "a.txt": "alpha, edited"})
    draft.add_file(str(extra / "new.txt"), "new.txt")
    draft.add_file(str(extra / "a.txt"), "a.txt", overwrite=True)
    with archivist.init(project="p") as run:
        run.log_artifact(draft)
    return archivist.Api().artifact("p/d:v1"), archivist.Api().artifact("p/d:v0")


def test_diff_lists_added_removed_and_changed(make_tree) -> None:  # type: ignore[no-untyped-def]
    new, old = _next_version(make_tree)
    difference = new.diff(old)
    assert [(c.path, c.status, c.old_size, c.new_size) for c in difference] == [
        ("a.txt", "changed", 5, 13),
        ("img/1.png", "removed", 3, None),
        ("new.txt", "added", None, 9),
    ]
    assert len(difference) == 3 and difference.unchanged_count == 3
    assert [c.path for c in difference.added] == ["new.txt"]
    assert [c.path for c in difference.removed] == ["img/1.png"]
    assert [c.path for c in difference.changed] == ["a.txt"]
    assert difference.size_delta == 8 - 3 + 9
    assert repr(difference) == (
        "<ArtifactDiff d:v0 -> d:v1: 1 added, 1 removed, 1 changed, 3 unchanged; +14B>"
    )
    backwards = old.diff(new)
    assert [(c.path, c.status) for c in backwards] == [
        ("a.txt", "changed"),
        ("img/1.png", "added"),
        ("new.txt", "removed"),
    ]
    assert new._manifest is None and old._manifest is None  # merged as streams


def test_diff_of_identical_versions_and_of_a_draft(make_tree) -> None:  # type: ignore[no-untyped-def]
    new, _old = _next_version(make_tree)
    same = new.diff(archivist.Api().artifact("p/d:latest"))
    assert not same and len(same) == 0 and same.unchanged_count == 5
    draft = new.new_draft()
    draft.remove("new.txt")
    assert [(c.path, c.status) for c in draft.diff(new)] == [("new.txt", "removed")]
    with pytest.raises(InvalidInputError, match="two artifacts"):
        new.diff("p/d:v0")  # type: ignore[arg-type]


M = 30_000  # above manifest_blocks.SMALL_MANIFEST_ENTRIES: a server's manifest is streamed from a file


def _log_references(name: str, changed_every: int = 0) -> None:
    def fill(art: archivist.Artifact) -> None:
        for i in range(M):
            version = "b" if changed_every and i % changed_every == 0 else "a"
            path = f"shard{i // 1000:03d}/item{i:06d}.bin"
            art.add_reference(f"file:///data/{version}/{path}", name=path, checksum=False)

    _log(name, fill)


def test_a_large_manifest_is_listed_and_diffed_as_a_stream() -> None:
    _log_references("big")
    _log_references("big", changed_every=100)
    old, new = archivist.Api().artifact("p/big:v0"), archivist.Api().artifact("p/big:v1")
    listed = [f.path for f in new.files(path_prefix="shard001/")]
    assert listed == [f"shard001/item{i:06d}.bin" for i in range(1000, 2000)]
    difference = new.diff(old)
    assert len(difference) == M // 100 and difference.unchanged_count == M - M // 100
    assert {c.status for c in difference} == {"changed"}
    assert old._manifest is None and new._manifest is None


def test_a_prefix_near_the_start_reads_little_of_a_large_manifest() -> None:
    _log_references("big")
    record = archivist.Api().artifact("p/big:latest")._logged()
    backend = get_context().backend
    read = 0

    def counted(blocks: Iterator[bytes]) -> Iterator[bytes]:
        nonlocal read
        for block in blocks:
            read += len(block)
            yield block

    with manifest_blocks.manifest_blocks(backend, record) as blocks:
        listed = list(iter_manifest_entries(counted(blocks), "shard001/"))
    assert len(listed) == 1000
    whole = len(backend.read_bytes(record.manifest_digest))
    assert whole > 4 * manifest_blocks.READ_BLOCK_BYTES and read <= 2 * manifest_blocks.READ_BLOCK_BYTES


def test_a_manifest_larger_than_the_spill_size_is_uploaded_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_dir))
    manifest = Manifest(Entry(f"r/{i:04d}", f"etag-{i}", i, ref=f"s3://b/{i}") for i in range(2000))
    backend = get_context().backend
    digest = manifest_io.store_manifest(backend, manifest, spill_bytes=10_000)
    assert backend.read_bytes(digest) == manifest.to_bytes()
    assert digest == hash_bytes(manifest.to_bytes())
    assert os.listdir(spill_dir) == []  # the spilled copy is gone
    small = Manifest([Entry("one", "etag", 1, ref="s3://b/one")])
    assert backend.read_bytes(manifest_io.store_manifest(backend, small)) == small.to_bytes()
