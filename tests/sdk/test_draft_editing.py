"""Building drafts: names, add_file/add_dir/new_file/remove, and their rules."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

import archivist
from archivist.core.errors import (
    ArtifactNotLoggedError,
    InvalidInputError,
    PathNotFoundError,
    ReservedTypeError,
)
from archivist.core.manifest import hash_bytes

pytestmark = pytest.mark.usefixtures("archivist_env")


def test_constructor_validates() -> None:
    art = archivist.Artifact("ok-name.1", type="dataset", description="d", metadata={"k": 1})
    assert art.name == "ok-name.1" and art.type == "dataset" and art.metadata == {"k": 1}
    assert art.is_draft() and art.state == "PENDING" and art.id is None
    with pytest.raises(ValueError, match="invalid artifact name"):
        archivist.Artifact("bad/name", type="dataset")
    with pytest.raises(ReservedTypeError):
        archivist.Artifact("x", type="wandb-history")
    with pytest.raises(ValueError, match="101 top-level keys"):
        archivist.Artifact("x", type="t", metadata={str(i): i for i in range(101)})


def test_logged_only_properties_raise_on_drafts() -> None:
    art = archivist.Artifact("x", type="t")
    with pytest.raises(ArtifactNotLoggedError):
        _ = art.version
    with pytest.raises(ArtifactNotLoggedError):
        art.download()


def test_add_file_names_and_digest(tmp_path: Path) -> None:
    src = tmp_path / "hello.txt"
    src.write_text("hello world")
    art = archivist.Artifact("x", type="t")
    entry = art.add_file(str(src))
    assert entry.path == "hello.txt" and entry.size == 11
    assert entry.digest == hash_bytes(b"hello world")
    assert art.add_file(str(src), name="sub/renamed.txt").path == "sub/renamed.txt"
    assert art.get_added_local_path_name(str(src)) == "sub/renamed.txt"
    assert art.file_count == 2 and art.size == 22


def test_add_same_path_twice(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("one")
    b.write_text("two")
    art = archivist.Artifact("x", type="t")
    art.add_file(str(a), name="f.txt")
    art.add_file(str(a), name="f.txt")  # identical content: a no-op
    with pytest.raises(ValueError, match="Cannot add the same path twice"):
        art.add_file(str(b), name="f.txt")
    art.add_file(str(b), name="f.txt", overwrite=True)
    assert art.manifest.entries["f.txt"].digest == hash_bytes(b"two")


def test_add_file_errors(tmp_path: Path) -> None:
    art = archivist.Artifact("x", type="t")
    with pytest.raises(FileNotFoundError):
        art.add_file(str(tmp_path / "missing"))
    with pytest.raises(InvalidInputError, match="not a file"):
        art.add_file(str(tmp_path))
    (tmp_path / "f").write_text("x")
    for bad in ["../escape", "/abs", "a//b"]:
        with pytest.raises(InvalidInputError):
            art.add_file(str(tmp_path / "f"), name=bad)
    with pytest.raises(InvalidInputError, match="policy"):
        art.add_file(str(tmp_path / "f"), policy="copy")


def test_is_tmp_renames_to_digest(tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG...")
    art = archivist.Artifact("x", type="t")
    entry = art.add_file(str(tmp_path / "image.png"), name="media/image.png", is_tmp=True)
    expected = hash_bytes(b"\x89PNG...")[:20]
    assert entry.path == f"media/{expected}.png"


def test_add_dir_and_merge(make_tree) -> None:
    root = make_tree("data", {"a.txt": "a", "sub/b.txt": "b", "sub/deep/c.txt": "c"})
    art = archivist.Artifact("x", type="t")
    art.add_dir(str(root))
    assert sorted(art.manifest.entries) == ["a.txt", "sub/b.txt", "sub/deep/c.txt"]
    art.add_dir(str(root), name="copy")
    assert "copy/sub/deep/c.txt" in art.manifest.entries
    (root / "a.txt").write_text("changed")
    with pytest.raises(ValueError, match="'a.txt'"):
        art.add_dir(str(root))
    art.add_dir(str(root), merge=True)
    assert art.manifest.entries["a.txt"].digest == hash_bytes(b"changed")
    with pytest.raises(PathNotFoundError):
        art.add_dir(str(root / "nope"))


def test_add_dir_follows_symlinks_without_looping(make_tree) -> None:
    root = make_tree("linked", {"real/x.txt": "x"})
    os.symlink(root / "real", root / "alias")
    os.symlink(root, root / "real" / "loop")
    art = archivist.Artifact("x", type="t")
    art.add_dir(str(root))
    assert sorted(art.manifest.entries) == ["alias/x.txt", "real/x.txt"]


def test_new_file_and_remove() -> None:
    art = archivist.Artifact("x", type="t")
    with art.new_file("stats.json") as f:
        f.write("{}")
    with pytest.raises(ValueError, match="already exists"), art.new_file("stats.json") as f:
        f.write("again")
    with art.new_file("stats.json", mode="w") as f:
        f.write('{"a": 1}')
    with art.new_file("dir/one.bin", mode="wb") as f:
        f.write(b"1")
    with art.new_file("dir/two.bin", mode="wb") as f:
        f.write(b"2")
    assert art.manifest.entries["stats.json"].digest == hash_bytes(b'{"a": 1}')
    art.remove("dir")
    assert sorted(art.manifest.entries) == ["stats.json"]
    art.remove(art.get_entry("stats.json"))
    assert len(art.manifest) == 0
    with pytest.raises(FileNotFoundError):
        art.remove("nothing")


def test_stat_cache_avoids_rehashing(make_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree("cached", {f"f{i}.txt": str(i) for i in range(20)})
    old = os.stat(root / "f0.txt").st_mtime - 60
    for path in root.iterdir():
        os.utime(path, (old, old))  # old enough for the stat cache to trust
    first = archivist.Artifact("x", type="t")
    first.add_dir(str(root))
    with archivist.init(project="p") as run:  # stored: a draft need not keep the bytes again
        run.log_artifact(first).wait()

    calls: list[str] = []
    import archivist.sdk.file_digests as draft

    real = draft.hash_small_files

    def counting(files):  # type: ignore[no-untyped-def]
        calls.extend(path for path, _st in files)
        return real(files)

    monkeypatch.setattr(draft, "hash_small_files", counting)
    (root / "f3.txt").write_text("new")
    os.utime(root / "f3.txt", (old + 5, old + 5))
    art = archivist.Artifact("x", type="t")
    art.add_dir(str(root))
    assert calls == [str(root / "f3.txt")]
    assert art.manifest.entries["f3.txt"].digest == hash_bytes(b"new")


def test_files_the_stat_cache_knows_are_read_again_when_no_store_holds_them(make_tree, monkeypatch) -> None:
    """A draft that was never logged left nothing stored: the next draft (mutable) reads the
    files again to keep their bytes; with policy="immutable" it trusts the stat cache."""
    unique = uuid.uuid4().hex  # bytes no store holds yet (a server's tests share one user)
    root = make_tree("unstored", {f"f{i}.txt": f"{unique} {i}" for i in range(5)})
    old = os.stat(root / "f0.txt").st_mtime - 60
    for path in root.iterdir():
        os.utime(path, (old, old))
    archivist.Artifact("x", type="t").add_dir(str(root))
    import archivist.sdk.file_digests as digests

    calls: list[str] = []
    real = digests.hash_small_files

    def counting(files):  # type: ignore[no-untyped-def]
        calls.extend(path for path, _st in files)
        return real(files)

    monkeypatch.setattr(digests, "hash_small_files", counting)
    archivist.Artifact("x", type="t").add_dir(str(root), policy="immutable")
    assert calls == []
    archivist.Artifact("x", type="t").add_dir(str(root))
    assert sorted(calls) == sorted(str(path) for path in root.iterdir())


NESTED = r"cannot be both a file and the folder of"


def test_a_path_under_a_file_or_a_file_over_paths_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file called data")
    (tmp_path / "folder" / "sub").mkdir(parents=True)
    (tmp_path / "folder" / "sub" / "x.txt").write_text("x")
    art = archivist.Artifact("d", type="dataset")
    art.add_file(str(tmp_path / "data"))
    with pytest.raises(InvalidInputError, match=rf"'data' {NESTED} 'data/x.txt'"):
        art.add_file(str(tmp_path / "folder" / "sub" / "x.txt"), name="data/x.txt")
    with pytest.raises(InvalidInputError, match=rf"'data' {NESTED} 'data/sub/x.txt'"):
        art.add_dir(str(tmp_path / "folder"), name="data")
    refused = pytest.raises(InvalidInputError, match=rf"'data' {NESTED} 'data/new.txt'")
    with refused, art.new_file("data/new.txt"):
        pytest.fail("new_file refuses the path before the block runs")
    art.add_dir(str(tmp_path / "folder"), name="tree")
    with pytest.raises(InvalidInputError, match=rf"'tree/sub' {NESTED} 'tree/sub/x.txt'"):
        art.add_file(str(tmp_path / "data"), name="tree/sub")
    with pytest.raises(InvalidInputError, match=rf"'tree' {NESTED} 'tree/sub/x.txt'"):
        art.add_reference((tmp_path / "data").as_uri(), name="tree")
    assert sorted(art.manifest.entries) == ["data", "tree/sub/x.txt"]  # each refused add added nothing


def test_a_removed_file_frees_its_path_for_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    art = archivist.Artifact("d", type="dataset")
    art.add_file(str(tmp_path / "x.txt"), name="a")
    art.remove("a")
    art.add_file(str(tmp_path / "x.txt"), name="a/b")
    art.add_file(str(tmp_path / "x.txt"), name="a.b")  # beside the folder, not in it
    assert sorted(art.manifest.entries) == ["a.b", "a/b"]
