"""Reading logged versions: download (root, prefix, skip), get_entry, file, files,
verify, checkout and the manifest; references to local files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import archivist
from archivist.core.errors import IntegrityError
from archivist.core.manifest import Entry, Manifest, hash_bytes
from tests.conftest import read_tree

pytestmark = pytest.mark.usefixtures("archivist_env")

FILES = {"a.txt": "alpha", "img/1.png": "one", "img/2.png": "two", "img2.png": "x", "deep/er/f": "f"}


@pytest.fixture
def logged(make_tree) -> archivist.Artifact:
    root = make_tree("src", FILES)
    with archivist.init(project="p") as run:
        art = archivist.Artifact("d", type="dataset")
        art.add_dir(str(root))
        run.log_artifact(art)
    return archivist.Api().artifact("p/d:latest")


def test_download_default_root_and_content(logged: archivist.Artifact, tmp_path: Path) -> None:
    path = logged.download()
    assert path == os.path.join(str(tmp_path / "artifacts"), "d-v0")
    assert read_tree(path) == {k: v.encode() for k, v in FILES.items()}


def test_download_is_idempotent_and_repairs(logged: archivist.Artifact, tmp_path: Path) -> None:
    root = logged.download(str(tmp_path / "out"))
    (Path(root) / "a.txt").write_text("tampered")
    (Path(root) / "extra.txt").write_text("mine")
    logged.download(root)
    assert (Path(root) / "a.txt").read_text() == "alpha"
    assert (Path(root) / "extra.txt").exists()  # download never deletes


def test_path_prefix_is_a_plain_string_prefix(logged: archivist.Artifact, tmp_path: Path) -> None:
    root = logged.download(str(tmp_path / "pre"), path_prefix="img")
    assert sorted(read_tree(root)) == ["img/1.png", "img/2.png", "img2.png"]


def test_get_entry_and_entry_download(logged: archivist.Artifact, tmp_path: Path) -> None:
    entry = logged.get_entry("img/1.png")
    assert entry.digest == hash_bytes(b"one") and entry.size == 3
    assert logged.get_path("img/1.png").path == "img/1.png"
    path = entry.download(str(tmp_path / "one"))
    assert Path(path).read_text() == "one"
    assert read_tree(tmp_path / "one") == {"img/1.png": b"one"}
    with pytest.raises(KeyError):
        logged.get_entry("missing")


def test_file_needs_a_single_entry(logged: archivist.Artifact, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        logged.file()
    (tmp_path / "only.bin").write_bytes(b"1")
    with archivist.init(project="p") as run:
        single = run.log_artifact(str(tmp_path / "only.bin"), name="one", type="model").wait()
    assert Path(single.file(str(tmp_path / "f"))).read_bytes() == b"1"


def test_files_and_manifest(logged: archivist.Artifact) -> None:
    assert sorted(f.path for f in logged.files()) == sorted(FILES)
    assert [f.path for f in logged.files(names=["a.txt"])] == ["a.txt"]
    assert sorted(logged.manifest.entries) == sorted(FILES)
    assert logged.manifest.digest() == logged.digest


def test_verify(logged: archivist.Artifact, tmp_path: Path) -> None:
    root = logged.download(str(tmp_path / "v"))
    logged.verify(root)
    (Path(root) / "a.txt").write_text("bad")
    with pytest.raises(ValueError, match="'a.txt'"):
        logged.verify(root)
    (Path(root) / "a.txt").write_text("alpha")
    (Path(root) / "new.txt").write_text("new")
    with pytest.raises(ValueError, match="unexpected file 'new.txt'"):
        logged.verify(root)


def test_checkout_removes_extra_files(logged: archivist.Artifact, tmp_path: Path) -> None:
    root = tmp_path / "co"
    (root / "junk").mkdir(parents=True)
    (root / "junk" / "old.txt").write_text("old")
    logged.checkout(str(root))
    assert read_tree(root) == {k: v.encode() for k, v in FILES.items()}


def test_manifest_with_escaping_path_is_refused(archivist_env) -> None:
    """A hand-made manifest with '../' cannot become a version, so no download can escape root."""
    from archivist.core.models import CommitRequest
    from archivist.sdk.context import get_context

    backend, transfer = get_context().backend, get_context().transfer
    blob = b"x"
    transfer.upload_bytes(hash_bytes(blob), blob)
    good = Manifest([Entry("ok.txt", hash_bytes(blob), 1)])
    evil = good.to_bytes().replace(b"ok.txt", b"../evil")
    transfer.upload_bytes(hash_bytes(evil), evil)
    request = CommitRequest(
        entity="local",
        project="p",
        name="evil",
        type="dataset",
        digest=good.digest(),
        manifest_digest=hash_bytes(evil),
    )
    with pytest.raises(ValueError, match="evil"):
        backend.commit_version(request)
    assert not archivist.Api().artifact_exists("p/evil")


def test_file_references(make_tree, tmp_path: Path) -> None:
    shared = make_tree("shared", {"x.csv": "1,2", "sub/y.csv": "3,4"})
    with archivist.init(project="p") as run:
        art = archivist.Artifact("refs", type="dataset")
        entries = art.add_reference(f"file://{shared}")
        assert sorted(e.path for e in entries) == ["sub/y.csv", "x.csv"]
        art.add_reference(f"file://{shared}/x.csv", name="single/x.csv")
        art.add_reference(f"file://{shared}", name="opaque", checksum=False)
        logged = run.log_artifact(art).wait()
    assert logged.get_entry("x.csv").ref == f"file://{shared}/x.csv"
    root = logged.download(str(tmp_path / "r"), allow_missing_references=True)
    assert (Path(root) / "sub/y.csv").read_text() == "3,4"
    (shared / "x.csv").write_text("changed")
    with pytest.raises(IntegrityError, match="x.csv"):
        logged.download(str(tmp_path / "r2"))
    os.unlink(shared / "x.csv")
    with pytest.raises(FileNotFoundError):
        logged.download(str(tmp_path / "r3"))
    logged.download(str(tmp_path / "r4"), allow_missing_references=True)
    assert (tmp_path / "r4" / "sub/y.csv").exists()


def test_reference_errors(tmp_path: Path) -> None:
    art = archivist.Artifact("refs", type="dataset")
    with pytest.raises(ValueError, match="References must be URIs"):
        art.add_reference(str(tmp_path))
    (tmp_path / "d").mkdir()
    for i in range(3):
        (tmp_path / "d" / f"{i}").write_text(str(i))
    with pytest.raises(ValueError, match="Exceeded 2 objects"):
        art.add_reference(f"file://{tmp_path}/d", max_objects=2)
    with pytest.raises(FileNotFoundError):
        art.add_reference(f"file://{tmp_path}/missing")
    with pytest.raises(ValueError, match="pass name="):
        art.add_reference("custom://thing")
    assert art.add_reference("custom://thing", name="thing")[0].digest == "custom://thing"
