"""What a logged artifact holds: with policy="mutable" (the default) each file's bytes as
they were when added, whatever happens to the file afterwards; policy="immutable" fails
clearly when a file changed. On the embedded store and on servers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import archivist
from archivist.core.errors import FileChangedError, PathNotFoundError

pytestmark = pytest.mark.usefixtures("archivist_env")

KIB, MIB = 1 << 10, 1 << 20
SIZES = {"1KiB": KIB, "300KiB": 300 * KIB, "8MiB": 8 * MIB}


def _downloaded(name: str, tmp_path: Path) -> dict[str, bytes]:
    root = Path(archivist.Api().artifact(f"p/{name}:latest").download(root=str(tmp_path / "out" / name)))
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _log_and_wait(art: archivist.Artifact, change=None) -> archivist.Artifact:
    with archivist.init(project="p") as run:
        if change is not None:
            change()
        logged = run.log_artifact(art)
        logged.wait()
    return logged


@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
def test_a_file_overwritten_after_add_file_logs_the_added_bytes(tmp_path: Path, size: int) -> None:
    src = tmp_path / "model.pt"
    added = os.urandom(size)
    src.write_bytes(added)
    art = archivist.Artifact("model", type="model")
    art.add_file(str(src))
    src.write_bytes(os.urandom(size + 3))  # the next epoch overwrites it
    _log_and_wait(art)
    assert _downloaded("model", tmp_path) == {"model.pt": added}


def test_a_70_mib_file_overwritten_after_add_file_logs_the_added_bytes(tmp_path: Path) -> None:
    src = tmp_path / "model.pt"
    added = os.urandom(70 * MIB)
    src.write_bytes(added)
    art = archivist.Artifact("model", type="model")
    art.add_file(str(src))
    with open(src, "r+b") as handle:  # changed in place, same size
        handle.write(b"\0" * 4096)
    _log_and_wait(art)
    assert _downloaded("model", tmp_path) == {"model.pt": added}


def test_a_file_overwritten_while_it_is_being_logged_logs_the_added_bytes(tmp_path: Path) -> None:
    src = tmp_path / "model.pt"
    added = os.urandom(8 * MIB)
    src.write_bytes(added)
    art = archivist.Artifact("model", type="model")
    art.add_file(str(src))
    with archivist.init(project="p") as run:
        run.log_artifact(art)
        src.write_bytes(os.urandom(8 * MIB))  # the log runs in the background meanwhile
        src.unlink()
        art.wait()
    assert _downloaded("model", tmp_path) == {"model.pt": added}


@pytest.mark.parametrize("small_files", [3, 300], ids=["few-small-files", "many-small-files"])
def test_a_temporary_folder_removed_before_the_upload_is_logged_as_added(
    tmp_path: Path, small_files: int
) -> None:
    folder = tmp_path / "tmp-export"
    files = {f"small/{i:03d}.txt": os.urandom(KIB + i) for i in range(small_files)}
    files |= {f"{label}.bin": os.urandom(size) for label, size in SIZES.items()}
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    art = archivist.Artifact("export", type="dataset")
    art.add_dir(str(folder))
    shutil.rmtree(folder)
    _log_and_wait(art)
    assert _downloaded("export", tmp_path) == files


def test_new_file_content_is_kept_when_its_temporary_folder_goes(tmp_path: Path) -> None:
    art = archivist.Artifact("notes", type="dataset")
    with art.new_file("notes/big.txt", mode="wb") as handle:
        handle.write(b"n" * (2 * MIB))
    assert art._tmp_dir is not None
    art._tmp_dir.cleanup()  # what the draft's end does with its temporary folder
    _log_and_wait(art)
    assert _downloaded("notes", tmp_path) == {"notes/big.txt": b"n" * (2 * MIB)}


def test_files_the_stat_cache_knows_are_kept_when_no_store_holds_them(tmp_path: Path) -> None:
    """A draft that was never logged stored nothing: a later draft reads the files again
    (the stat cache knows their digests, not their bytes) and logs what they held then."""
    folder = tmp_path / "data"
    folder.mkdir()
    added = {f"{i}.bin": os.urandom(300 * KIB + i) for i in range(4)}
    for name, data in added.items():
        (folder / name).write_bytes(data)
        os.utime(folder / name, (1_600_000_000, 1_600_000_000))  # settled: the stat cache trusts it
    archivist.Artifact("known", type="dataset").add_dir(str(folder))  # never logged
    art = archivist.Artifact("known", type="dataset")
    art.add_dir(str(folder))
    for name in added:
        (folder / name).write_bytes(b"changed")
    _log_and_wait(art)
    assert _downloaded("known", tmp_path) == added


@pytest.mark.parametrize("size", [KIB, 300 * KIB, 8 * MIB], ids=["1KiB", "300KiB", "8MiB"])
def test_an_immutable_file_changed_before_the_upload_fails_naming_it(tmp_path: Path, size: int) -> None:
    """No copy is kept: the change is found as the bytes are stored (small files' bytes
    read while hashing are sent as read, so only a larger one can fail)."""
    src = tmp_path / "weights.bin"
    added = os.urandom(size)
    src.write_bytes(added)
    art = archivist.Artifact("frozen", type="model")
    art.add_file(str(src), policy="immutable")
    src.write_bytes(os.urandom(size))
    if size <= KIB:
        _log_and_wait(art)  # held in memory from hashing: logged as added
        assert _downloaded("frozen", tmp_path) == {"weights.bin": added}
        return
    with pytest.raises(FileChangedError, match=r"weights\.bin.*policy='immutable' must not change"):
        _log_and_wait(art)
    assert not archivist.Api().artifact_exists("p/frozen")


def test_an_immutable_file_deleted_before_the_upload_fails_naming_it(tmp_path: Path) -> None:
    src = tmp_path / "weights.bin"
    src.write_bytes(os.urandom(2 * MIB))
    art = archivist.Artifact("frozen", type="model")
    art.add_file(str(src), policy="immutable")
    src.unlink()
    with pytest.raises(PathNotFoundError, match=r"weights\.bin"):
        _log_and_wait(art)
    assert not archivist.Api().artifact_exists("p/frozen")


def test_an_unknown_policy_is_refused_naming_the_choices(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(ValueError, match=r"invalid policy 'copy': use 'mutable' or 'immutable'"):
        archivist.Artifact("x", type="t").add_file(str(tmp_path / "f"), policy="copy")


@pytest.mark.parametrize("size", [300 * KIB, 8 * MIB], ids=["300KiB", "8MiB"])
def test_the_added_bytes_are_on_this_machine_before_the_log(tmp_path: Path, size: int) -> None:
    """Kept where the save sends from: the embedded store itself (no second copy), or the
    client cache of a server's client; the file can go at once."""
    src = tmp_path / "weights.bin"
    src.write_bytes(os.urandom(size))
    art = archivist.Artifact("kept", type="model")
    entry = art.add_file(str(src))
    src.unlink()
    for sink in art.draft_contents.take_sinks():  # what the save waits for first
        sink.wait()
    assert art.context.transfer.not_held_here([entry.digest]) == []
