"""Symlinks inside a download's root that point outside it: download and checkout never
write or delete through them. A link where the version has a folder becomes a real folder
(as ``git checkout`` does), a link where it has a file becomes the file, and checkout
removes other links themselves, never what they point to."""

from __future__ import annotations

from pathlib import Path

import pytest

import archivist
from tests.conftest import read_tree

pytestmark = pytest.mark.usefixtures("archivist_env")

FILES = {"data/a.txt": b"version a", "data/deep/b.txt": b"version b", "top.txt": b"top"}
OUTSIDE = {"keep.txt": b"sentinel", "a.txt": b"outside a", "deep/b.txt": b"outside b", "top.txt": b"top"}


@pytest.fixture
def version(tmp_path: Path) -> archivist.Artifact:
    source = tmp_path / "source"
    for rel, data in FILES.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes(data)
    with archivist.init(project="p") as run:
        art = archivist.Artifact("d", type="dataset")
        art.add_dir(str(source))
        run.log_artifact(art)
    return archivist.Api().artifact("p/d:latest")


def outside_folder(path: Path) -> Path:
    """A folder outside the root, holding a sentinel and files named like the version's."""
    for rel, data in OUTSIDE.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(data)
    return path


def no_links_under(root: Path) -> bool:
    return not any(path.is_symlink() for path in root.rglob("*"))


@pytest.mark.parametrize("link", [False, True], ids=["copy", "link"])
def test_download_replaces_a_symlinked_folder_without_writing_through_it(
    version: archivist.Artifact, tmp_path: Path, link: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = outside_folder(tmp_path / "outside")
    root = tmp_path / "root"
    root.mkdir()
    (root / "data").symlink_to(outside, target_is_directory=True)
    version.download(str(root), link=link)
    assert read_tree(outside) == OUTSIDE
    assert no_links_under(root) and read_tree(root) == FILES
    assert f"replaced the symlink {root / 'data'} by a folder" in capsys.readouterr().err


@pytest.mark.parametrize("link", [False, True], ids=["copy", "link"])
def test_checkout_deletes_no_file_through_a_symlink(
    version: archivist.Artifact, tmp_path: Path, link: bool
) -> None:
    outside = outside_folder(tmp_path / "outside")
    elsewhere = outside_folder(tmp_path / "elsewhere")
    root = tmp_path / "root"
    root.mkdir()
    (root / "data").symlink_to(outside, target_is_directory=True)  # where the version has a folder
    (root / "extra").symlink_to(elsewhere, target_is_directory=True)  # a folder the version lacks
    (root / "extra.txt").symlink_to(elsewhere / "keep.txt")  # a file the version lacks
    version.checkout(str(root), link=link)
    assert read_tree(outside) == OUTSIDE
    assert read_tree(elsewhere) == OUTSIDE
    assert no_links_under(root) and read_tree(root) == FILES


def test_a_symlinked_file_is_replaced_by_the_file_even_when_its_target_matches(
    version: archivist.Artifact, tmp_path: Path
) -> None:
    outside = outside_folder(tmp_path / "outside")
    root = tmp_path / "root"
    root.mkdir()
    (root / "top.txt").symlink_to(outside / "top.txt")  # the right bytes, but somebody else's file
    version.download(str(root))
    assert not (root / "top.txt").is_symlink() and read_tree(root) == FILES
    assert read_tree(outside) == OUTSIDE
