"""Creating download files from local bytes: always new files (never written through an
existing one, which may be a link to a read-only blob), links where asked and possible."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archivist.client.transfer.placing import copy_new, place, place_at, write_new


def test_new_files_are_written_and_existing_ones_never_touched(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    write_new(str(tmp_path / "written"), data)
    copy_new(str(tmp_path / "written"), str(tmp_path / "copied"))
    assert (tmp_path / "written").read_bytes() == data
    assert (tmp_path / "copied").read_bytes() == data
    blob = tmp_path / "blob"
    blob.write_bytes(b"a read-only blob")
    blob.chmod(0o444)
    os.link(blob, tmp_path / "linked")
    for make in (
        lambda: write_new(str(tmp_path / "linked"), b"x"),
        lambda: copy_new(str(blob), str(tmp_path / "linked")),
    ):
        with pytest.raises(FileExistsError, match="linked"):
            make()
    assert blob.read_bytes() == b"a read-only blob"


def test_a_failed_copy_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        copy_new(str(tmp_path / "absent"), str(tmp_path / "dest"))
    with pytest.raises(IsADirectoryError):
        copy_new(str(tmp_path), str(tmp_path / "dest"))
    assert not (tmp_path / "dest").exists()


def test_place_links_or_copies_and_place_at_replaces(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"bytes")
    assert place(str(source), str(tmp_path / "linked"), link=True)
    assert (tmp_path / "linked").stat().st_ino == source.stat().st_ino
    assert not place(str(source), str(tmp_path / "copied"), link=False)
    assert (tmp_path / "copied").stat().st_ino != source.stat().st_ino
    (tmp_path / "taken").write_bytes(b"someone else's")
    place_at(str(source), str(tmp_path / "taken"), link=False)
    assert (tmp_path / "taken").read_bytes() == b"bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copied", "linked", "source", "taken"]
