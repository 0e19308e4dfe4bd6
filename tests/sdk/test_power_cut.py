"""A power cut right after a commit returned leaves the version whole.

The store lives on a small ext4 filesystem in an image file, loop-mounted with
``commit=600`` (no periodic journal commit while the test runs), so that only syncs put
the store's files on the image. A version is logged there (by a child process on the
embedded store, or by this process through a server whose database and folder store are
on the image); once ``wait()`` returned, and while every process still runs, the image
file is copied. The copy holds what the filesystem had sent to its device -- what was
synced, plus whatever the kernel happened to write back -- and not what sat in the page
cache only, which is what a power cut loses. The copy is then mounted (its journal is
replayed, as at boot) and the version must be there, every file whole.

Mounting needs root; where it is refused, these tests are skipped (the in-process sync
checks of ``test_durable_commits`` run everywhere).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import blake3
import pytest

import archivist
from archivist.core.manifest import Manifest
from archivist.metadata.migrate import open_engine
from archivist.sdk.context import reset_contexts
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore
from tests.fixtures.archivist_server import ADMIN_KEY, archivist_server

IMAGE_BYTES = 96 << 20
SIZES = {
    **{f"small/{i:02}.bin": 200 + 61 * i for i in range(30)},
    "medium.bin": 700_000,
    "large.bin": 3 << 20,
}


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@contextlib.contextmanager
def _mounted(image: Path, where: Path) -> Iterator[Path]:
    where.mkdir(exist_ok=True)
    mounted = _run("mount", "-o", "loop,commit=600", str(image), str(where))
    if mounted.returncode != 0:
        pytest.skip(f"cannot loop-mount a filesystem image here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if _run("umount", str(where)).returncode != 0:  # a connection of this process still open
            _run("umount", "-l", str(where))  # detached now, released when the process closes it


@pytest.fixture
def image(tmp_path: Path) -> Path:
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None or shutil.which("mount") is None:
        pytest.skip("a power-cut test needs root, mkfs.ext4 and mount (to loop-mount an image)")
    path = tmp_path / "disk.img"
    with open(path, "wb") as handle:
        handle.truncate(IMAGE_BYTES)
    made = _run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", str(path))
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture
def data(tmp_path: Path) -> dict[str, bytes]:
    contents = {name: os.urandom(size) for name, size in SIZES.items()}
    for name, content in contents.items():
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return contents


_EMBEDDED_LOGGER = textwrap.dedent(
    """
    import sys
    import archivist
    with archivist.init(project="p") as run:
        art = archivist.Artifact("d", type="dataset")
        art.add_dir(sys.argv[1])
        logged = run.log_artifact(art).wait()
        print("committed", logged.version, flush=True)
        sys.stdin.readline()  # the test copies the disk image meanwhile
    """
)


def test_an_embedded_version_survives_a_power_cut(
    tmp_path: Path, image: Path, data: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "after-power-cut.img"
    with _mounted(image, tmp_path / "disk") as disk:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
        env |= {"ARCHIVIST_DIR": str(disk / "home"), "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache")}
        logger = subprocess.Popen(
            [sys.executable, "-c", _EMBEDDED_LOGGER, str(tmp_path / "data")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert logger.stdout is not None and logger.stdin is not None
        try:
            assert logger.stdout.readline().split() == ["committed", "v0"]
            shutil.copyfile(image, copy)  # the power cut: what the device holds now
        finally:
            logger.kill()
            logger.wait()
    with _mounted(copy, tmp_path / "restored") as restored:
        monkeypatch.setenv("ARCHIVIST_DIR", str(restored / "home"))
        monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache-after"))
        for name in ("ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY", "ARCHIVIST_ENTITY"):
            monkeypatch.delenv(name, raising=False)
        reset_contexts()
        try:
            root = archivist.Api().artifact("p/d:v0").download(str(tmp_path / "downloaded"))
        finally:
            reset_contexts()
    found = {
        str(path.relative_to(root)): path.read_bytes() for path in Path(root).rglob("*") if path.is_file()
    }
    assert sorted(found) == sorted(data)
    assert [name for name in data if found[name] != data[name]] == []


def test_a_server_version_survives_a_power_cut(
    tmp_path: Path, image: Path, data: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "after-power-cut.img"
    with _mounted(image, tmp_path / "disk") as disk:
        (disk / "server").mkdir()
        db_url = f"sqlite:///{disk}/server/meta.sqlite"
        with archivist_server(db_url, disk / "server" / "blobs", tmp_path / "server.log") as server:
            monkeypatch.setenv("ARCHIVIST_BASE_URL", server.url)
            monkeypatch.setenv("ARCHIVIST_API_KEY", ADMIN_KEY)
            monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
            reset_contexts()
            try:
                with archivist.init(project="p") as run:
                    art = archivist.Artifact("d", type="dataset")
                    art.add_dir(str(tmp_path / "data"))
                    logged = run.log_artifact(art).wait()
                    shutil.copyfile(image, copy)  # the power cut, while the server still runs
            finally:
                reset_contexts()
    with _mounted(copy, tmp_path / "restored") as restored:
        service = Service(
            open_engine(f"sqlite:///{restored}/server/meta.sqlite"),
            LocalBlobStore(str(restored / "server" / "blobs")),
        )
        try:
            record = service.resolve_version(logged.entity, "p", "d", "v0")
            manifest = Manifest.from_bytes(service.read_bytes(record.manifest_digest))
            found = {entry.path: service.read_bytes(entry.digest) for entry in manifest}
        finally:
            service.close()
    assert sorted(found) == sorted(data)
    assert [name for name in data if found[name] != data[name]] == []
    assert all(
        blake3.blake3(content).hexdigest() == manifest.get(name).digest for name, content in found.items()
    )
