"""Downloads: straight into a fresh folder, repairs of a folder holding right and wrong files
(wrong ones replaced, never written through, right ones untouched), link mode, paths that
would escape the root, and several processes (or a killed one) downloading into one folder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import archivist
from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
from archivist.core.errors import IntegrityError, InvalidInputError
from archivist.core.manifest import Entry, hash_bytes
from archivist.sdk import materialize
from archivist.sdk.context import get_context
from archivist.sdk.materialize import destination, download_entries
from tests.conftest import read_tree

pytestmark = pytest.mark.usefixtures("archivist_env")

BIG = bytes(range(256)) * 4096  # 1 MiB: large enough to be stored as a file of its own
FILES: dict[str, bytes] = {
    "a.txt": b"alpha",
    "b.txt": b"bravo",
    "img/1.png": b"one",
    "img/2.png": b"two",
    "deep/er/c.txt": b"charlie",
    "same.txt": b"alpha",  # the same blob as a.txt
    "big.bin": BIG,
}


def _log(tmp_path: Path, files: dict[str, bytes], name: str = "d") -> archivist.Artifact:
    source = tmp_path / f"src-{name}"
    for rel, data in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes(data)
    with archivist.init(project="p") as run:
        art = archivist.Artifact(name, type="dataset")
        art.add_dir(str(source))
        run.log_artifact(art)
    return archivist.Api().artifact(f"p/{name}:latest")


@pytest.fixture
def logged(tmp_path: Path) -> archivist.Artifact:
    return _log(tmp_path, FILES)


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def _blob_file(digest: str) -> str | None:
    """The file holding the blob on this machine: the embedded store's, else the client cache's."""
    ctx = get_context()
    if isinstance(ctx.transfer, HttpBlobTransfer):
        return ctx.client_cache.get(digest)
    return ctx.backend.local_blob_path(digest)  # type: ignore[attr-defined]  # the embedded Service


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if "archivist-tmp" in p.name]


def test_download_into_a_fresh_folder(logged: archivist.Artifact, tmp_path: Path) -> None:
    root = Path(logged.download(str(tmp_path / "new" / "folder")))
    assert read_tree(root) == FILES
    for rel in FILES:
        st = (root / rel).stat()
        assert st.st_nlink == 1 and st.st_mode & stat.S_IWUSR, rel  # plain, writable copies
    assert _leftovers(root) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert read_tree(logged.download(str(empty))) == FILES


@pytest.mark.parametrize("below", ["", "sub/folder"])
def test_a_root_that_is_a_file_is_explained_and_nothing_is_written(
    logged: archivist.Artifact, tmp_path: Path, below: str
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    root = a_file / below if below else a_file
    with pytest.raises(InvalidInputError) as raised:
        logged.download(str(root))
    message = str(raised.value)
    assert f"cannot download into {str(root)!r}" in message and "not a folder" in message
    assert "root=" in message
    assert a_file.read_text() == "mine"


def test_wrong_files_are_replaced_and_right_ones_left_alone(
    logged: archivist.Artifact, tmp_path: Path
) -> None:
    root = Path(logged.download(str(tmp_path / "out")))
    right = {rel: _identity(root / rel) for rel in ("b.txt", "img/1.png", "deep/er/c.txt", "big.bin")}
    (root / "a.txt").write_bytes(b"ALPHA")  # same size, other bytes
    (root / "img/2.png").write_bytes(b"a longer wrong file")
    (root / "same.txt").unlink()
    (root / "same.txt").symlink_to(tmp_path / "nowhere")  # a dangling symlink takes the name
    with open(root / "big.bin", "r+b") as handle:  # what a killed download leaves: a short file
        handle.truncate(len(BIG) // 2)
    right.pop("big.bin")
    (root / "mine.txt").write_bytes(b"not in the artifact")

    logged.download(str(root))

    assert read_tree(root) == {**FILES, "mine.txt": b"not in the artifact"}
    assert {rel: _identity(root / rel) for rel in right} == right  # not rewritten, not even touched
    assert not (root / "same.txt").is_symlink()
    assert _leftovers(root) == []


def test_a_file_removed_by_another_download_while_it_is_compared_is_written_again(
    logged: archivist.Artifact, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process downloading into the same folder may remove a file as stale (it saw it
    half written) after this one found it and before this one reads it."""
    root = Path(logged.download(str(tmp_path / "out")))
    real_digest_files = materialize.digest_files
    removed: list[str] = []

    def the_other_process_removes_one(stat_cache: Any, files: Any, *args: Any, **kwargs: Any) -> Any:
        if not removed:
            removed.append(files[0][0])
            os.unlink(files[0][0])
        return real_digest_files(stat_cache, files, *args, **kwargs)

    monkeypatch.setattr(materialize, "digest_files", the_other_process_removes_one)
    logged.download(str(root))
    assert removed
    assert read_tree(root) == FILES
    assert _leftovers(root) == []


def test_a_hard_linked_destination_is_replaced_not_written_through(
    logged: archivist.Artifact, tmp_path: Path
) -> None:
    root = tmp_path / "out"
    root.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    victim.chmod(0o444)
    os.link(victim, root / "a.txt")  # a linked file from an older version, say
    logged.download(str(root))
    assert (root / "a.txt").read_bytes() == b"alpha"
    assert victim.read_bytes() == b"keep me"
    assert (root / "a.txt").stat().st_ino != victim.stat().st_ino


@pytest.mark.embedded_only("links the destination to a blob file of the embedded store")
def test_a_destination_linked_to_a_store_blob_leaves_the_blob_intact(
    logged: archivist.Artifact, tmp_path: Path
) -> None:
    blob = get_context().backend.local_blob_path(hash_bytes(BIG))
    assert blob is not None
    root = tmp_path / "out"
    root.mkdir()
    os.link(blob, root / "a.txt")  # holds big.bin's bytes, wrong for a.txt
    logged.download(str(root))
    assert (root / "a.txt").read_bytes() == b"alpha"
    assert Path(blob).read_bytes() == BIG
    assert read_tree(logged.download(str(tmp_path / "again"))) == FILES


def test_link_mode_links_read_only_blobs(logged: archivist.Artifact, tmp_path: Path) -> None:
    root = Path(logged.download(str(tmp_path / "linked"), link=True))
    assert read_tree(root) == FILES
    for rel, data in FILES.items():
        st = (root / rel).stat()
        assert st.st_mode & 0o222 == 0, f"{rel} is writable"
        assert st.st_nlink >= 2, f"{rel} is not a link"
        blob = _blob_file(hash_bytes(data))
        if blob is not None:  # None: a small blob inside a pack file, extracted for the link
            assert os.stat(blob).st_ino == st.st_ino, rel
    big_blob = _blob_file(hash_bytes(BIG))  # a large blob always is a file of its own
    assert big_blob is not None and os.stat(big_blob).st_ino == (root / "big.bin").stat().st_ino
    assert (root / "a.txt").stat().st_ino == (root / "same.txt").stat().st_ino

    if isinstance(get_context().transfer, HttpBlobTransfer):  # evicting the cache's name keeps the file
        get_context().client_cache.evict(0)
        assert get_context().client_cache.get(hash_bytes(BIG)) is None
    assert read_tree(root) == FILES


def test_link_mode_then_a_new_version_replaces_links(tmp_path: Path) -> None:
    first = _log(tmp_path, {"a.txt": b"one", "b.txt": b"same"}, name="v")
    root = Path(first.download(str(tmp_path / "co"), link=True))
    second = _log(tmp_path, {"a.txt": b"two", "b.txt": b"same"}, name="v")
    second.checkout(str(root), link=True)
    assert read_tree(root) == {"a.txt": b"two", "b.txt": b"same"}
    assert read_tree(first.download(str(tmp_path / "first"))) == {"a.txt": b"one", "b.txt": b"same"}


@pytest.fixture
def other_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A folder on another filesystem than tmp_path (where the store and cache live)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem (/dev/shm) on this machine")
    folder = Path(tempfile.mkdtemp(prefix="archivist-test-", dir=shm))
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=True)


def test_link_mode_copies_across_filesystems(logged: archivist.Artifact, other_filesystem: Path) -> None:
    root = Path(logged.download(str(other_filesystem / "out"), link=True))
    assert read_tree(root) == FILES
    assert all((root / rel).stat().st_nlink == 1 for rel in FILES)  # copies, not links


@pytest.mark.embedded_only("path checks happen before any transfer")
def test_a_manifest_path_escaping_root_is_refused(tmp_path: Path) -> None:
    root = str(tmp_path / "root")
    assert destination(root, "a/b.txt") == f"{root}/a/b.txt"
    assert destination(root, ".hidden/x..y/...") == f"{root}/.hidden/x..y/..."
    assert destination(root, "a/./b") == f"{root}/a/b"  # odd but inside root
    for bad in ("../evil", "a/../../evil", "a/..", ".", "", "..//.."):
        with pytest.raises(IntegrityError, match="outside"):
            destination(root, bad)
    data = b"x"
    get_context().transfer.upload_bytes(hash_bytes(data), data)
    entries = [Entry("ok.txt", hash_bytes(data), 1), Entry("../evil.txt", hash_bytes(data), 1)]
    with pytest.raises(IntegrityError, match="evil"):
        download_entries(get_context(), entries, root, False, False)
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "root" / "ok.txt").exists()  # refused before anything was written


def test_corrupted_stored_bytes_are_refused(tmp_path: Path, blob_folder: Path) -> None:
    big = os.urandom(1 << 20)  # a blob of this test only: the server's store is shared
    logged = _log(tmp_path, {"big.bin": big, "a.txt": b"alpha"})
    digest = hash_bytes(big)
    blob = blob_folder / digest[:2] / digest[2:]
    os.chmod(blob, 0o644)
    blob.write_bytes(big[::-1])  # same size, other bytes: a server serves them as they are
    with pytest.raises(IntegrityError, match="big.bin"):
        logged.download(str(tmp_path / "out"), skip_cache=True)
    with pytest.raises(IntegrityError, match="big.bin"):
        logged.download(str(tmp_path / "out"))
    assert not (tmp_path / "out" / "big.bin").exists()
    assert get_context().client_cache.get(digest) is None


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


DOWNLOADER = textwrap.dedent(
    """
    import os, sys, time
    import archivist
    name, root, mode, go = sys.argv[1:5]
    artifact = archivist.Api().artifact(name)
    artifact.manifest  # loaded before the start, so that the downloads overlap
    print("ready", flush=True)
    while go != "-" and not os.path.exists(go):
        time.sleep(0.001)
    artifact.download(root, link=mode == "link")
    """
)


@pytest.mark.slow
def test_processes_downloading_into_one_folder_at_once(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.params["archivist_env"] == "server-pg-s3":
        pytest.skip("the SDK side is the one of 'server'; one presigned GET per file is slow on moto")
    files = {f"f{i % 10}/{i:04}.txt": f"file {i}".encode() * 100 for i in range(1000)}
    files["big.bin"] = BIG
    logged = _log(tmp_path, files)
    root, go = tmp_path / "shared", tmp_path / "go"
    name = f"{logged.entity}/p/d:{logged.version}"
    procs = [_spawn(DOWNLOADER, name, str(root), mode, str(go)) for mode in ("copy", "link", "copy")]
    for proc in procs:  # all started, manifests read: then all at once into one empty folder
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    go.touch()
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert read_tree(root) == files
    assert _leftovers(root) == []


@pytest.mark.slow
def test_a_killed_download_is_repaired_by_the_next(tmp_path: Path) -> None:
    files = {f"part-{i}.bin": os.urandom(16 << 20) for i in range(8)}
    logged = _log(tmp_path, files)
    root = tmp_path / "out"
    proc = _spawn(DOWNLOADER, f"{logged.entity}/p/d:{logged.version}", str(root), "copy", "-")
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    deadline = time.monotonic() + 60
    while not (root.is_dir() and any(root.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the download ended before it could be killed"
    logged.download(str(root))
    logged.verify(str(root))
