"""A commit is durable when it returns: every blob file, pack and manifest a version names,
and every folder entry from the store's root down to them, is synced before the database
commit that makes the version visible -- on the embedded store, and on a server over a
folder store (run in this process so that its syncs can be watched; uploads through the
framed API, a single PUT, and the blob listener).

A power-cut test on a real filesystem image is in ``test_power_cut``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import archivist
from archivist.sdk import file_digests
from archivist.sdk.context import reset_contexts
from archivist.server.app import create_app
from archivist.server.config import ServerConfig
from archivist.storage.local import LocalBlobStore
from archivist.storage.pack_index import PackIndex
from tests.fixtures.archivist_server import ADMIN_KEY
from tests.fixtures.sync_watch import missing_before_commit, needed_files, watch_syncs
from tests.ui.live_server import serving

KIB = 1 << 10
MIB = 1 << 20


def _tree(root: Path, sizes: dict[str, int]) -> Path:
    for name, size in sizes.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return root


def _point_sdk_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, home: Path) -> None:
    monkeypatch.setenv("ARCHIVIST_DIR", str(home))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ARCHIVIST_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    for name in ("ARCHIVIST_ENTITY", "ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY", "ARCHIVIST_PACK_SMALL_BLOBS"):
        monkeypatch.delenv(name, raising=False)
    reset_contexts()


def _log(tree: Path) -> archivist.Artifact:
    with archivist.init(project="p") as run:
        art = archivist.Artifact("d", type="dataset")
        art.add_dir(str(tree))
        logged = run.log_artifact(art).wait()
    reset_contexts()
    return logged


def _stored_digests(logged: archivist.Artifact) -> set[str]:
    manifest = archivist.Api().artifact(f"{logged.qualified_name}").manifest
    return {entry.digest for entry in manifest.entries.values()} | {logged._logged().manifest_digest}


@pytest.mark.parametrize("pack_small_blobs", [True, False], ids=["packing-store", "loose-store"])
def test_an_embedded_commit_syncs_what_it_names_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pack_small_blobs: bool
) -> None:
    home = tmp_path / "home"
    _point_sdk_at(monkeypatch, tmp_path, home)
    monkeypatch.setenv("ARCHIVIST_PACK_SMALL_BLOBS", "1" if pack_small_blobs else "0")
    monkeypatch.setattr(file_digests, "INGEST_MIN_BYTES", 2 * MIB)  # the ingest path, without 64 MiB files
    # Stored while add_dir hashes them; a store that keeps them loose syncs its filesystem once.
    sizes = {f"small/{i:03}.bin": 100 + 37 * i for i in range(300)}
    sizes |= {"medium.bin": 300 * KIB, "larger.bin": 1536 * KIB, "ingested.bin": 3 * MIB}
    tree = _tree(tmp_path / "data", sizes)
    with watch_syncs(monkeypatch, roots=[home]) as watch:
        logged = _log(tree)
    store = LocalBlobStore(str(home / "blobs"))
    files = needed_files(store, _stored_digests(logged))
    assert any(path.suffix == ".pack" for path in files) == pack_small_blobs
    assert len(watch.commits) == 1
    assert missing_before_commit(watch, 0, files, top=tmp_path) == []


def test_a_server_commit_syncs_what_was_uploaded_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "server"
    root.mkdir()
    config = ServerConfig(f"sqlite:///{root}/meta.sqlite", str(root / "blobs"), admin_key=ADMIN_KEY)
    _point_sdk_at(monkeypatch, tmp_path, tmp_path / "unused-home")
    sizes = {f"small/{i:02}.bin": 100 + 37 * i for i in range(40)}  # one framed upload, packed
    sizes |= {"medium.bin": 300 * KIB}  # framed, too large to pack: a loose blob of the batch
    sizes |= {"streamed.bin": 5 * MIB}  # framed, streamed into a blob writer
    sizes |= {"listener.bin": 9 * MIB}  # through the blob listener
    tree = _tree(tmp_path / "data", sizes)
    with watch_syncs(monkeypatch, roots=[root]) as watch:
        app = create_app(config)
        with serving(app) as url:
            monkeypatch.setenv("ARCHIVIST_BASE_URL", url)
            monkeypatch.setenv("ARCHIVIST_API_KEY", ADMIN_KEY)
            reset_contexts()
            logged = _log(tree)
            digests = _stored_digests(logged)
            reset_contexts()
    store = LocalBlobStore(str(root / "blobs"))
    files = needed_files(store, digests)
    assert any(path.suffix == ".pack" for path in files)
    assert len(watch.commits) == 1
    assert missing_before_commit(watch, 0, files, top=root) == []


def test_the_pack_index_syncs_every_commit(tmp_path: Path) -> None:
    """Its rows name packs: a commit of them must survive a power cut like the packs do (the
    metadata database's setting is checked in ``tests/metadata/test_engine.py``)."""
    index = PackIndex(str(tmp_path / "packs" / "index.sqlite"))
    connection = index.connection(create=True)
    assert connection is not None
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
