"""Files created from a few threads: ``parallel_files`` itself, and a folder store's copies
and links through it (many blobs, so the threads are used), also where links are refused."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from archivist.core.manifest import hash_bytes
from archivist.storage import parallel_files
from archivist.storage.local import LocalBlobStore
from archivist.storage.parallel_files import batches, map_batches


def test_batches_are_bounded_by_count_and_by_bytes() -> None:
    sizes = [1] * (parallel_files.BATCH_FILES + 3)
    by_count = list(batches(sizes, lambda size: size))
    assert [len(batch) for batch in by_count] == [parallel_files.BATCH_FILES, 3]
    big = parallel_files.BATCH_BYTES // 2
    by_bytes = list(batches([big, big, big, 5], lambda size: size))
    assert by_bytes == [[big, big], [big, 5]]
    assert list(batches([], None)) == []


@pytest.mark.parametrize("workers", [1, 3])
def test_results_come_in_the_order_of_the_batches(workers: int) -> None:
    threads: set[str] = set()

    def work(batch: Sequence[int]) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(0.001 * (batch[0] % 3))  # later batches may end first
        return sum(batch)

    groups = [[number, number] for number in range(40)]
    assert map_batches(work, groups, workers) == [2 * number for number in range(40)]
    if workers == 1:
        assert threads == {threading.current_thread().name}
    else:
        assert threading.current_thread().name not in threads


def test_after_a_batch_fails_the_producer_stops_within_a_window_and_its_error_is_raised() -> None:
    started: list[int] = []
    produced: list[int] = []

    def produce() -> Iterator[list[int]]:
        for number in range(200):
            produced.append(number)
            yield [number]

    def work(batch: Sequence[int]) -> None:
        started.append(batch[0])
        if batch[0] == 5:
            raise ValueError("batch 5 failed")
        time.sleep(0.002)

    with pytest.raises(ValueError, match="batch 5 failed"):
        map_batches(work, produce(), workers=2)
    assert len(produced) <= 5 + 1 + 2 * 2  # the producer stops a window after the failed batch
    assert max(started) <= max(produced)
    assert len(started) < 200


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads for any number of files, more threads than this machine may have cores, and
    small batches (many of them, so a failure stops the work well before the end)."""
    monkeypatch.setattr(parallel_files, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel_files, "WORKERS", 3)
    monkeypatch.setattr(parallel_files, "BATCH_FILES", 16)


def _packed(store: LocalBlobStore, count: int) -> dict[str, bytes]:
    blobs = {}
    for number in range(count):
        data = os.urandom(1 + number % 700) + b"%06d" % number
        blobs[hash_bytes(data)] = data
    store.put_bytes_many(list(blobs.items()))
    assert all(store.local_path(digest) is None for digest in blobs)  # packed only
    return blobs


def _destinations(blobs: dict[str, bytes], folder: Path) -> list[tuple[str, str]]:
    """Each blob in one of 8 subfolders, and every tenth a second time."""
    items = []
    for number, digest in enumerate(blobs):
        sub = folder / f"d{number % 8}"
        sub.mkdir(parents=True, exist_ok=True)
        items.append((digest, str(sub / f"f{number}")))
        if number % 10 == 0:
            items.append((digest, str(sub / f"again{number}")))
    return items


def test_packed_blobs_are_copied_from_threads(threaded: None, tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    blobs = _packed(store, 1200)
    items = _destinations(blobs, tmp_path / "out")
    reported: list[int] = []
    store.copy_to(items, progress=reported.append)
    for digest, dest in items:
        assert Path(dest).read_bytes() == blobs[digest]
    assert sum(reported) == sum(len(blobs[digest]) for digest, _dest in items)


def test_a_copy_that_meets_an_existing_file_says_so_and_leaves_whole_files_only(
    threaded: None, tmp_path: Path
) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    blobs = _packed(store, 1200)
    items = _destinations(blobs, tmp_path / "out")
    taken = Path(items[700][1])
    taken.write_bytes(b"the user's own file")
    with pytest.raises(FileExistsError, match=str(taken)):
        store.copy_to(items)
    assert taken.read_bytes() == b"the user's own file"
    written = [(digest, dest) for digest, dest in items if os.path.exists(dest) and Path(dest) != taken]
    assert len(written) < len(items) - 1  # it stopped before the end
    for digest, dest in written:
        assert Path(dest).read_bytes() == blobs[digest]


def test_link_mode_extracts_from_threads_then_links_from_threads(threaded: None, tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    blobs = _packed(store, 1200)
    for attempt in ("first", "again"):
        items = _destinations(blobs, tmp_path / attempt)
        reported: list[int] = []
        store.copy_to(items, link=True, progress=reported.append)
        for digest, dest in items:
            loose = store.local_path(digest)
            assert loose is not None
            assert os.stat(dest).st_ino == os.stat(loose).st_ino
            assert Path(dest).read_bytes() == blobs[digest]
        # the first time each blob is written once (then linked); later only links
        assert sum(reported) == (sum(map(len, blobs.values())) if attempt == "first" else 0)


def test_links_that_meet_an_existing_file_say_so(threaded: None, tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    blobs = _packed(store, 1200)
    store.copy_to(_destinations(blobs, tmp_path / "first"), link=True)
    items = _destinations(blobs, tmp_path / "again")
    taken = Path(items[900][1])
    taken.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match=str(taken)):
        store.copy_to(items, link=True)
    assert taken.read_bytes() == b"mine"
    assert not os.path.exists(items[-1][1])  # it stopped before the end


def _other_filesystem(tmp_path: Path) -> Path:
    """A new folder on a filesystem other than ``tmp_path``'s (``/dev/shm``, a tmpfs)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on a filesystem of its own, where links from tmp_path are refused")
    folder = shm / f"archivist-test-{os.getpid()}-{tmp_path.name}"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("threads", [False, True], ids=["one thread", "threads"])
def test_link_mode_copies_where_the_filesystem_refuses_links(
    threads: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if threads:
        monkeypatch.setattr(parallel_files, "PARALLEL_MIN_FILES", 2)
        monkeypatch.setattr(parallel_files, "WORKERS", 3)
        monkeypatch.setattr(parallel_files, "BATCH_FILES", 16)
    store = LocalBlobStore(str(tmp_path / "blobs"))
    blobs = _packed(store, 600)
    half = dict(list(blobs.items())[:300])
    store.copy_to(_destinations(half, tmp_path / "extracted"), link=True)  # these are loose now
    elsewhere = _other_filesystem(tmp_path)
    try:
        items = _destinations(blobs, elsewhere)
        reported: list[int] = []
        store.copy_to(items, link=True, progress=reported.append)
        for digest, dest in items:
            assert Path(dest).read_bytes() == blobs[digest]
            assert os.stat(dest).st_nlink == 1  # a copy of its own
        assert sum(reported) == sum(len(blobs[digest]) for digest, _dest in items)
        assert all(store.local_path(digest) is None for digest in blobs if digest not in half)
    finally:
        shutil.rmtree(elsewhere)
