"""Packs across real processes: several writers on one store, and writers killed with
SIGKILL mid-batch (no index row ever names bytes that were not fully written)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from archivist.core.manifest import hash_bytes
from archivist.storage.local import LocalBlobStore
from archivist.storage.packs import FLUSH_BYTES

_fork = multiprocessing.get_context("fork")


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


def _write_files(folder: Path, label: str, count: int, size: int) -> list[tuple[str, str]]:
    """``count`` files of about ``size`` distinct bytes: ``(digest, path)`` pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(label)
    items = []
    for i in range(count):
        data = rng.randbytes(rng.randint(size // 2, size))
        path = folder / f"{label}-{i}"
        path.write_bytes(data)
        items.append((hash_bytes(data), str(path)))
    return items


def _put_files_in_child(
    root: str, items: list[tuple[str, str]], start: object = None, pack_max_bytes: int = 256 << 20
) -> None:
    if start is not None:
        start.wait()  # type: ignore[attr-defined]
    LocalBlobStore(root, pack_max_bytes=pack_max_bytes).put_files(items)


def _pack_files(store: LocalBlobStore) -> list[Path]:
    return sorted(Path(store.packs_dir).glob("*.pack"))


def _index_count(store: LocalBlobStore) -> int:
    if not os.path.exists(store.index.path):
        return 0
    with sqlite3.connect(store.index.path) as connection:
        return int(connection.execute("SELECT count(*) FROM blobs").fetchone()[0])


def _assert_every_held_blob_is_whole(store: LocalBlobStore, items: list[tuple[str, str]]) -> int:
    held = [digest for digest, _path in items if digest not in store.missing([digest])]
    for digest in held:
        with store.open(digest) as reader:
            assert hash_bytes(reader.read()) == digest
    return len(held)


@pytest.mark.slow
def test_two_processes_packing_into_one_store_at_once(store: LocalBlobStore, tmp_path: Path) -> None:
    shared = _write_files(tmp_path / "shared", "shared", 500, 4096)
    own = [_write_files(tmp_path / f"p{n}", f"p{n}", 1000, 4096) for n in range(2)]
    start = _fork.Barrier(2)
    children = [
        _fork.Process(target=_put_files_in_child, args=(store.root, [*own[n], *shared], start))
        for n in range(2)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0, 0]
    everything = [*own[0], *own[1], *shared]
    assert store.missing(digest for digest, _path in everything) == set()
    assert _assert_every_held_blob_is_whole(store, everything) == 2500
    assert sorted(store.iter_digests()) == sorted({digest for digest, _path in everything})
    assert len(_pack_files(store)) == 2
    assert _index_count(store) == 2500  # a blob both packed is indexed once, in one of the packs


@pytest.mark.slow
def test_kill_9_mid_put_files_leaves_no_blob_and_cleanup_removes_the_pack(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    before = _write_files(tmp_path / "before", "before", 48, 256 << 10)  # over FLUSH_BYTES: written out
    fifo = tmp_path / "slow-source"
    os.mkfifo(fifo)
    blocked = (hash_bytes(b"never arrives"), str(fifo))
    after = _write_files(tmp_path / "after", "after", 20, 2048)
    items = [*before, blocked, *after]
    child = _fork.Process(target=_put_files_in_child, args=(store.root, items))
    child.start()
    pipe = os.open(fifo, os.O_WRONLY)  # the child is now reading the FIFO, its pack half written
    try:
        deadline = time.monotonic() + 30
        while not any(p.stat().st_size >= FLUSH_BYTES for p in _pack_files(store)):
            assert time.monotonic() < deadline, "the child never wrote its pack"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    finally:
        os.close(pipe)
    assert child.exitcode == -signal.SIGKILL
    [orphan] = _pack_files(store)
    orphan_bytes = orphan.stat().st_size
    assert store.missing(digest for digest, _path in items) == {digest for digest, _path in items}
    assert _index_count(store) == 0 and list(store.iter_digests()) == []

    store.put_files([*before, *after])  # the store keeps working beside the orphan
    assert _assert_every_held_blob_is_whole(store, items) == len(before) + len(after)
    assert store.cleanup_temp(older_than_seconds=0) >= orphan_bytes >= FLUSH_BYTES
    assert not orphan.exists() and len(_pack_files(store)) == 1
    assert _assert_every_held_blob_is_whole(store, items) == len(before) + len(after)


@pytest.mark.slow
def test_kill_9_at_random_moments_never_indexes_partial_bytes(store: LocalBlobStore, tmp_path: Path) -> None:
    items = _write_files(tmp_path / "src", "src", 3000, 12 << 10)  # ~27 MB: 2 MiB packs, ~13 of them
    rng = random.Random(5)
    partial = 0
    for _attempt in range(8):
        child = _fork.Process(target=_put_files_in_child, args=(store.root, items, None, 2 << 20))
        child.start()
        opened = rng.randint(1, 8)  # kill while pack number `opened` is written, a little later
        deadline = time.monotonic() + 30
        while len(_pack_files(store)) < opened and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        held = _assert_every_held_blob_is_whole(store, items)
        partial += 0 < held < len(items)
        store.delete_many(digest for digest, _path in items)
        store.cleanup_temp(older_than_seconds=0)
    assert partial >= 2, "the kills never fell between two packs of a batch"
    store.cleanup_temp(older_than_seconds=0)
    assert _pack_files(store) == []
    store.put_files(items)
    assert _assert_every_held_blob_is_whole(store, items) == len(items)
