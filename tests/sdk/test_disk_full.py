"""A full disk, on a real small filesystem (a tmpfs of 40 MiB; mounting needs root, and
these tests are skipped where it is refused): logging fails with a clear ``NoSpaceError``
(507 ``no_space`` from a server, naming no server path), nothing is half-written, and
deleting versions then ``archivist gc`` free space on the full disk, after which logging
works again. On the embedded store and through a server over SQLite and a folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import archivist
from archivist.cli.main import cli
from archivist.core.errors import ArtifactNotFoundError, NoSpaceError
from archivist.sdk.context import reset_contexts
from archivist.storage.local import LocalBlobStore
from tests.fixtures.archivist_server import ADMIN_KEY, archivist_server

DISK = "40m"
FILE_BYTES = 6 << 20


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root and mount")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        reset_contexts()
        if subprocess.run(["umount", str(disk)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _sdk_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> None:
    for name in [n for n in os.environ if n.startswith("ARCHIVIST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))  # on the big disk
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_contexts()


def _log_new_file(tmp_path: Path, name: str) -> str:
    """Log a new file of ``FILE_BYTES`` as a version of ``p/name``; returns ``p/name:vN``.
    (Each test logs into collections of their own: the collector keeps the blobs of a
    deleted version that a live version of its collection is based on.)"""
    folder = tmp_path / "data"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "weights.bin").write_bytes(os.urandom(FILE_BYTES))
    try:
        with archivist.init(project="p") as run:
            art = archivist.Artifact(name, type="model")
            art.add_dir(str(folder))
            return f"p/{name}:{run.log_artifact(art).wait().version}"
    finally:
        reset_contexts()


def _log_until_full(tmp_path: Path) -> tuple[list[str], NoSpaceError]:
    logged: list[str] = []
    for attempt in range(10):
        try:
            logged.append(_log_new_file(tmp_path, f"model-{attempt}"))
        except NoSpaceError as error:
            return logged, error
    raise AssertionError(f"the {DISK} disk never filled up: logged {logged}")


def _delete_all_but_latest(logged: list[str]) -> None:
    api = archivist.Api()
    for name in logged[:-1]:
        api.artifact(name).delete(delete_aliases=True)
    reset_contexts()


def _gc(*args: str) -> str:
    result = CliRunner().invoke(cli, ["gc", "--grace", "0", *args])
    reset_contexts()  # close the store as the end of an `archivist gc` process does (SQLite's -shm file)
    assert result.exit_code == 0, result.output
    return result.output


def _free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_a_full_embedded_store_fails_clearly_and_is_freed_in_place(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = small_disk / "home"
    _sdk_env(monkeypatch, tmp_path, ARCHIVIST_DIR=str(home))
    logged, error = _log_until_full(tmp_path)
    assert len(logged) >= 2
    assert isinstance(error, OSError) and error.code == "no_space"
    assert str(error).startswith(f"no space left on the embedded store ({home})")
    assert "delete versions you no longer need" in str(error)
    # Nothing half-written: no temp file, no pack the index does not name, the store checks whole.
    store = LocalBlobStore(str(home / "blobs"))
    assert list(Path(store.temp_dir).iterdir()) == []
    packs = {path.stem for path in Path(store.packs_dir).glob("*.pack")}
    assert packs == store.index.known_packs(packs)
    assert CliRunner().invoke(cli, ["fsck"]).exit_code == 0
    assert logged == [f"p/model-{i}:v0" for i in range(len(logged))]
    with pytest.raises(ArtifactNotFoundError):  # the failed log committed nothing
        archivist.Api().artifact(f"p/model-{len(logged)}:v0")
    reset_contexts()

    free_before = _free_bytes(small_disk)
    _delete_all_but_latest(logged)
    assert "Reclaimed" in _gc()
    assert _free_bytes(small_disk) >= free_before + (len(logged) - 1) * FILE_BYTES
    assert _log_new_file(tmp_path, "model-after") == "p/model-after:v0"


def test_a_disk_another_program_filled_gives_the_same_clear_error_and_leaves_nothing_half_written(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = small_disk / "home"
    # No reserve: the writes themselves meet the full disk (ENOSPC, or SQLite's "disk full").
    _sdk_env(monkeypatch, tmp_path, ARCHIVIST_DIR=str(home), ARCHIVIST_SPACE_RESERVE="0")
    _log_new_file(tmp_path, "before")
    with open(small_disk / "filler", "wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(bytes(1 << 20))
            filler.flush()
    with pytest.raises(
        NoSpaceError, match="no space left on the (embedded store|disk of the metadata database)"
    ):
        _log_new_file(tmp_path, "after")
    store = LocalBlobStore(str(home / "blobs"))
    assert list(Path(store.temp_dir).iterdir()) == []
    packs = {path.stem for path in Path(store.packs_dir).glob("*.pack")}
    assert packs == store.index.known_packs(packs)


def test_a_full_server_answers_507_naming_no_path_and_is_freed_by_its_admin(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url, store = f"sqlite:///{small_disk}/meta.sqlite", str(small_disk / "blobs")
    with archivist_server(db_url, store, tmp_path / "server.log") as server:
        _sdk_env(monkeypatch, tmp_path, ARCHIVIST_BASE_URL=server.url, ARCHIVIST_API_KEY=ADMIN_KEY)
        logged, error = _log_until_full(tmp_path)
        assert len(logged) >= 2
        assert error.code == "no_space" and error.status == 507
        assert str(error).startswith("no space left on the server's blob store")
        assert str(small_disk) not in str(error) and "/tmp" not in str(error)
        assert '"status":507' in server.log_text(until='"status":507')
        _delete_all_but_latest(logged)
        assert "Reclaimed" in _gc("--db", db_url, "--store", store)
        assert _log_new_file(tmp_path, "model-after") == "p/model-after:v0"
