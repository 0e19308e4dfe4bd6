"""LocalBlobStore: the shared BlobStore contract plus what only a folder store promises
(layout, read-only blobs, temp files, crash safety across real processes)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest

from archivist.core.errors import InvalidInputError, PathNotFoundError
from archivist.core.manifest import hash_bytes
from archivist.storage.local import LocalBlobStore
from archivist.storage.loose import require_blob_digests
from tests.storage.blobstore_contract import BlobStoreContract, Damage

_fork = multiprocessing.get_context("fork")


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


class TestLocalBlobStoreContract(BlobStoreContract):
    @pytest.fixture
    def damage(self, store: LocalBlobStore) -> Damage:
        return lambda digest, data: overwrite(Path(store.blob_path(digest)), data)


def overwrite(path: Path, data: bytes) -> None:
    """Replace a read-only blob file's bytes in place (as a disk fault would)."""
    path.chmod(0o644)
    path.write_bytes(data)
    path.chmod(0o444)


def _temp_files(store: LocalBlobStore) -> list[Path]:
    return sorted(Path(store.temp_dir).iterdir())


def _random_file(tmp_path: Path, name: str, size: int, seed: int) -> tuple[Path, bytes, str]:
    """A file of ``size`` reproducible random bytes: (path, bytes, digest)."""
    data = random.Random(seed).randbytes(size)
    path = tmp_path / name
    path.write_bytes(data)
    return path, data, hash_bytes(data)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_blob_layout_is_two_hex_then_the_rest_and_read_only(store: LocalBlobStore) -> None:
    data = b"layout"
    digest = hash_bytes(data)
    store.put_bytes(digest, data)
    path = Path(store.root) / digest[:2] / digest[2:]
    assert store.local_path(digest) == str(path)
    assert path.read_bytes() == data
    assert path.stat().st_mode & 0o777 == 0o444 & ~_current_umask()
    assert _temp_files(store) == []


def test_temp_files_live_under_root_tmp(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    assert store.temp_dir == str(tmp_path / "blobs" / "tmp")
    assert (tmp_path / "blobs" / "tmp").is_dir()


def test_put_file_of_a_stored_blob_does_not_open_the_source(store: LocalBlobStore, tmp_path: Path) -> None:
    data = b"stored once"
    digest = hash_bytes(data)
    store.put_bytes(digest, data)
    assert store.put_file(digest, str(tmp_path / "does-not-exist")) == len(data)


def test_failed_puts_leave_no_temp_files(store: LocalBlobStore, tmp_path: Path) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"content")
    with pytest.raises(ValueError):
        store.put_file(hash_bytes(b"other"), str(source))
    with pytest.raises(ValueError):
        store.put_bytes(hash_bytes(b"other"), b"content")
    assert _temp_files(store) == []


def test_iter_digests_ignores_tmp_and_stray_files(store: LocalBlobStore) -> None:
    digest = hash_bytes(b"real")
    store.put_bytes(digest, b"real")
    root = Path(store.root)
    (root / "tmp" / (hash_bytes(b"half")[:16] + ".1.1.tmp")).write_bytes(b"half")
    (root / "README").write_text("not a blob")
    (root / "zz").mkdir()
    (root / "zz" / ("0" * 62)).write_text("not hex")
    (root / digest[:2] / "short").write_text("wrong length")
    assert list(store.iter_digests()) == [digest]


def test_writes_recreate_fan_out_and_temp_folders_removed_behind_its_back(
    store: LocalBlobStore,
) -> None:
    first = hash_bytes(b"first")
    store.put_bytes(first, b"first")
    store.delete(first)
    os.rmdir(Path(store.root) / first[:2])
    os.rmdir(store.temp_dir)
    store.put_bytes(first, b"first")
    assert store.local_path(first) is not None


def test_cleanup_temp_removes_only_old_temp_files(store: LocalBlobStore) -> None:
    old = Path(store.temp_dir) / "old.1.1.tmp"
    old.write_bytes(b"x" * 100)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    fresh = Path(store.temp_dir) / "fresh.1.2.tmp"
    fresh.write_bytes(b"y" * 7)
    assert store.cleanup_temp(older_than_seconds=600) == 100
    assert _temp_files(store) == [fresh]
    assert store.cleanup_temp(older_than_seconds=0) == 7
    assert _temp_files(store) == []


def _put_file_in_child(root: str, digest: str, path: str, start: object = None) -> None:
    if start is not None:
        start.wait()  # type: ignore[attr-defined]
    LocalBlobStore(root).put_file(digest, path)


def _wait_for_temp_bytes(store: LocalBlobStore, at_least: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.stat().st_size >= at_least for p in _temp_files(store)):
            return
        time.sleep(0.01)
    raise AssertionError(f"the child never wrote {at_least} bytes to a temp file")


@pytest.mark.slow
def test_kill_9_mid_write_leaves_no_blob_and_the_store_keeps_working(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    data = random.Random(7).randbytes(6 << 20)
    digest = hash_bytes(data)
    fifo = tmp_path / "slow-source"
    os.mkfifo(fifo)
    child = _fork.Process(target=_put_file_in_child, args=(store.root, digest, str(fifo)))
    child.start()
    pipe = os.open(fifo, os.O_WRONLY)
    try:
        half = memoryview(data)[: 3 << 20]
        while half:
            half = half[os.write(pipe, half) :]
        _wait_for_temp_bytes(store, at_least=2 << 20)  # the child is mid-write
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    finally:
        os.close(pipe)
    assert child.exitcode == -signal.SIGKILL
    assert store.local_path(digest) is None
    assert store.missing([digest]) == {digest}
    assert len(_temp_files(store)) == 1  # the stale temp file, harmless

    (tmp_path / "whole.bin").write_bytes(data)
    assert store.put_file(digest, str(tmp_path / "whole.bin")) == len(data)
    assert Path(store.local_path(digest) or "").read_bytes() == data
    assert store.cleanup_temp(older_than_seconds=0) >= 2 << 20
    assert _temp_files(store) == []


@pytest.mark.slow
def test_kill_9_at_random_moments_never_leaves_a_partial_blob(store: LocalBlobStore, tmp_path: Path) -> None:
    source, data, digest = _random_file(tmp_path, "big.bin", 24 << 20, seed=11)
    final = Path(store.root) / digest[:2] / digest[2:]
    rng = random.Random(3)
    for _attempt in range(6):
        child = _fork.Process(target=_put_file_in_child, args=(store.root, digest, str(source)))
        child.start()
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        if final.exists():
            assert final.stat().st_size == len(data)
            assert hash_bytes(final.read_bytes()) == digest
            store.delete(digest)
    store.cleanup_temp(older_than_seconds=0)
    assert store.put_file(digest, str(source)) == len(data)
    assert hash_bytes(final.read_bytes()) == digest


@pytest.mark.slow
def test_concurrent_processes_writing_the_same_blob(store: LocalBlobStore, tmp_path: Path) -> None:
    source, _data, digest = _random_file(tmp_path, "shared.bin", 5 << 20, seed=5)
    start = _fork.Barrier(4)
    children = [
        _fork.Process(target=_put_file_in_child, args=(store.root, digest, str(source), start))
        for _ in range(4)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    assert hash_bytes(Path(store.local_path(digest) or "").read_bytes()) == digest
    assert list(store.iter_digests()) == [digest]
    assert _temp_files(store) == []


# --- ingest: storing a file whose digest is not known yet ---------------------------------------


def test_ingest_stores_a_file_under_the_digest_of_its_bytes(store: LocalBlobStore, tmp_path: Path) -> None:
    data = random.Random(3).randbytes(40 << 20)  # spans several copy chunks
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    digest, size = store.ingest_file(str(source))
    assert (digest, size) == (hash_bytes(data), len(data))
    with store.open(digest) as reader:
        assert reader.read() == data
    assert os.listdir(store.temp_dir) == []


def test_ingesting_held_content_again_keeps_one_blob(store: LocalBlobStore, tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 5000)
    first = store.ingest_file(str(source))
    second = store.ingest_file(str(source))
    assert first == second
    assert list(store.iter_digests()) == [first[0]]
    assert os.listdir(store.temp_dir) == []


def test_ingest_from_another_filesystem_copies_in_user_space(store: LocalBlobStore) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm here")
    source = shm / f"archivist-ingest-{os.getpid()}.bin"
    data = random.Random(4).randbytes(3 << 20)
    source.write_bytes(data)
    try:
        assert store.ingest_file(str(source)) == (hash_bytes(data), len(data))
    finally:
        source.unlink()


def test_ingest_of_a_missing_file_names_it(store: LocalBlobStore, tmp_path: Path) -> None:
    with pytest.raises(PathNotFoundError, match="nope.bin"):
        store.ingest_file(str(tmp_path / "nope.bin"))


GOOD = [hash_bytes(b"%d" % i) for i in range(3)]


@pytest.mark.parametrize(
    "bad",
    [
        GOOD[0] + "\n" + GOOD[1],  # two well-formed lines in one string
        GOOD[0][:32] + "\n" + GOOD[0][33:],  # the right length, a newline inside
        GOOD[0].upper(),
        GOOD[0][:-1],
        None,
    ],
)
def test_bulk_digest_check_refuses_what_the_single_check_refuses(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="64 lowercase hex") as info:
        require_blob_digests([*GOOD, bad])  # type: ignore[list-item]
    assert repr(bad) in str(info.value)


def test_bulk_digest_check_keeps_each_digest_once_in_order() -> None:
    assert require_blob_digests([GOOD[1], GOOD[0], GOOD[1], GOOD[2]]) == [GOOD[1], GOOD[0], GOOD[2]]
    assert require_blob_digests([]) == []


def test_unindexed_names_only_the_digests_the_pack_index_lacks(store: LocalBlobStore) -> None:
    packed = [(hash_bytes(b"p%d" % i), b"p%d" % i) for i in range(5)]
    absent = [hash_bytes(b"a%d" % i) for i in range(3)]
    assert store.index.unindexed([absent[0]]) == [absent[0]]  # no index yet
    store.put_bytes_many(packed)
    wanted = [absent[0], packed[0][0], absent[1], *(d for d, _ in packed[1:]), absent[2]]
    assert sorted(store.index.unindexed(wanted)) == sorted(absent)
