"""ClientCache: verified, atomic adds; LRU eviction that keeps the cache under its
limit; several instances (as several processes would) sharing one folder."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archivist.core.errors import IntegrityError, InvalidInputError, StorageError
from archivist.core.manifest import hash_bytes
from archivist.storage import client_cache as cache_module
from archivist.storage.client_cache import ClientCache, default_limit

_fork = multiprocessing.get_context("fork")


def blob(label: str, size: int = 300) -> tuple[str, bytes]:
    data = (label.encode() * size)[:size]
    return hash_bytes(data), data


def add(cache: ClientCache, label: str, size: int = 300) -> str:
    """Cache a blob through ``writer`` (the download path) and return its digest."""
    digest, data = blob(label, size)
    with cache.writer(digest, size=len(data)) as writer:
        writer.write(data)
    return digest


def cached(cache: ClientCache) -> set[str]:
    return {digest for digest, _entry in cache._blobs.iter_blob_entries()}


def age(cache: ClientCache, digest: str, seconds_ago: float) -> None:
    """Pretend the blob was last used ``seconds_ago`` (as if by an earlier process)."""
    when = time.time() - seconds_ago
    os.utime(cache._blobs.blob_path(digest), (when, when))


def add_aged_abc(cache: ClientCache) -> tuple[str, str, str]:
    """Blobs a, b, c of 300 bytes, last used 300, 200 and 100 seconds ago, indexed by ``cache``."""
    digests = add(cache, "a"), add(cache, "b"), add(cache, "c")
    for digest, seconds_ago in zip(digests, [300, 200, 100], strict=True):
        age(cache, digest, seconds_ago)
    cache.size()  # index the folder as it is now
    return digests


def temp_files(root: Path) -> list[Path]:
    return sorted((root / "tmp").iterdir())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_add_file_then_get_returns_the_cached_path(root: Path, tmp_path: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    digest, data = blob("a")
    source = tmp_path / "a.bin"
    source.write_bytes(data)
    path = cache.add_file(digest, str(source))
    assert path == str(root / "obj" / "blake3" / digest[:2] / digest[2:])
    assert cache.get(digest) == path
    assert cache.get(digest, size=len(data)) == path
    assert Path(path).read_bytes() == data
    assert cache.add_file(digest, str(source)) == path  # already cached: same path
    assert temp_files(root) == []


def test_adopt_moves_a_download_in_read_only_and_links_to_it_survive_eviction(
    root: Path, tmp_path: Path
) -> None:
    cache = ClientCache(str(root), 1000)
    digest, data = blob("a")
    download = cache.download_path(digest)
    assert Path(download).parent == root / "tmp"
    Path(download).write_bytes(data)
    os.link(download, tmp_path / "linked")  # what a link-mode download makes
    path = cache.adopt(digest, download, len(data))
    assert path == cache.get(digest, size=len(data))
    assert os.stat(path).st_ino == (tmp_path / "linked").stat().st_ino
    assert os.stat(path).st_mode & 0o222 == 0
    assert temp_files(root) == []
    assert cache.size() == len(data)
    cache.evict(0)
    assert cache.get(digest) is None
    assert (tmp_path / "linked").read_bytes() == data


def test_adopt_of_a_file_larger_than_the_limit_caches_nothing(root: Path) -> None:
    cache = ClientCache(str(root), 100)
    digest, data = blob("big", 300)
    download = cache.download_path(digest)
    Path(download).write_bytes(data)
    assert cache.adopt(digest, download, len(data)) is None
    assert cache.get(digest) is None
    assert temp_files(root) == []


def test_get_of_an_absent_blob_is_none(root: Path) -> None:
    assert ClientCache(str(root), 10_000).get(hash_bytes(b"absent")) is None


def test_get_with_the_wrong_size_is_a_miss_and_drops_the_damaged_blob(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    digest = add(cache, "a")
    assert cache.get(digest, size=299) is None
    assert cache.get(digest) is None


def test_add_file_verifies_the_digest(root: Path, tmp_path: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    source = tmp_path / "a.bin"
    source.write_bytes(b"not what the digest says")
    with pytest.raises(IntegrityError):
        cache.add_file(hash_bytes(b"expected"), str(source))
    assert cached(cache) == set()
    assert cache.size() == 0
    assert temp_files(root) == []


def test_writer_verifies_on_close(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    digest, data = blob("a")
    with pytest.raises(IntegrityError), cache.writer(digest) as writer:
        writer.write(data[:-1] + b"!")
    assert cache.get(digest) is None
    assert temp_files(root) == []


def test_writer_streams_chunks_into_place(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    digest, data = blob("chunks", 3000)
    with cache.writer(digest) as writer:
        for start in range(0, len(data), 256):
            writer.write(data[start : start + 256])
    assert cache.get(digest) == writer.final_path
    assert Path(writer.final_path).read_bytes() == data
    assert cache.size() == 3000


def test_an_error_inside_the_writer_block_caches_nothing(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    digest, data = blob("a")
    with pytest.raises(ConnectionError), cache.writer(digest) as writer:
        writer.write(data[:100])
        raise ConnectionError("download interrupted")
    assert cache.get(digest) is None
    assert temp_files(root) == []


def test_size_counts_every_cached_byte(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    for label, size in [("a", 100), ("b", 250), ("c", 1)]:
        add(cache, label, size)
    assert cache.size() == 351


def test_lru_order_within_one_process(root: Path) -> None:
    cache = ClientCache(str(root), 1000)
    a, b, c = add(cache, "a"), add(cache, "b"), add(cache, "c")
    assert cache.get(a) is not None  # a is now the most recently used
    d = add(cache, "d")  # 1200 > 1000: one blob must go, the least recently used
    assert cached(cache) == {a, c, d}
    assert b not in cached(cache)
    e = add(cache, "e")
    assert cached(cache) == {a, d, e}  # c was next in line


def test_lru_order_from_use_times_on_disk(root: Path) -> None:
    a, b, c = add_aged_abc(ClientCache(str(root), 1000))
    later = ClientCache(str(root), 1000)  # a later process reads the use times from disk
    assert later.get(a) is not None
    add(later, "d")
    assert b not in cached(later)
    assert {a, c} <= cached(later)


def test_a_blob_used_by_another_process_since_is_not_evicted(root: Path) -> None:
    mine = ClientCache(str(root), 1000)
    a, _b, c = add_aged_abc(mine)
    other = ClientCache(str(root), 1000)
    assert other.get(a) is not None  # the other process uses a
    d = add(mine, "d")
    assert cached(mine) == {a, c, d}


def test_a_blob_vanishing_during_eviction_is_not_an_error(root: Path) -> None:
    mine = ClientCache(str(root), 1000)
    _a, b, c = add_aged_abc(mine)
    assert ClientCache(str(root), 1000).evict(600) == 300  # another process evicts a
    d = add(mine, "d")  # a is gone already: nothing more needs to go
    assert cached(mine) == {b, c, d}
    assert mine.size() == 900


def test_adds_keep_the_cache_within_its_limit(root: Path) -> None:
    cache = ClientCache(str(root), 5000)
    rng = random.Random(1)
    for i in range(60):
        add(cache, f"blob{i}", rng.randint(1, 900))
        assert cache.size() <= 5000
    assert len(cached(cache)) > 5


def test_adds_from_another_process_are_counted_at_the_next_listing(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RESCAN_SECONDS", 0.0)
    mine = ClientCache(str(root), 1000)
    add(mine, "a")
    other = ClientCache(str(root), 1000)
    add(other, "b")
    add(other, "c")
    add(mine, "d")
    assert mine.size() <= 1000


def test_evict_removes_least_recently_used_first(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    digests = [add(cache, label) for label in "abcd"]
    for digest, seconds_ago in zip(digests, [100, 400, 200, 300], strict=True):
        age(cache, digest, seconds_ago)
    assert cache.evict(600) == 600
    assert cached(cache) == {digests[0], digests[2]}
    assert cache.evict(600) == 0
    assert cache.evict(0) == 600
    assert cache.size() == 0


def test_cleanup_can_also_remove_temp_files(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    add(cache, "a")
    add(cache, "b")
    (root / "tmp" / "leftover.tmp").write_bytes(b"x" * 50)
    assert cache.cleanup(300) == 300
    assert len(temp_files(root)) == 1
    assert cache.cleanup(300, remove_temp=True) == 50
    assert temp_files(root) == []
    assert cache.size() == 300


def test_removing_temp_files_fails_a_write_in_progress_clearly(root: Path) -> None:
    cache = ClientCache(str(root), 10_000)
    digest, data = blob("a")
    with pytest.raises(StorageError, match="vanished"), cache.writer(digest) as writer:
        writer.write(data)
        assert cache.cleanup(10_000, remove_temp=True) == len(data)
    assert cache.get(digest) is None
    assert cache.size() == 0


def test_a_blob_larger_than_the_limit_is_not_cached(root: Path, tmp_path: Path) -> None:
    cache = ClientCache(str(root), 1000)
    small = add(cache, "small")
    digest, data = blob("huge", 1001)
    source = tmp_path / "huge.bin"
    source.write_bytes(data)
    assert cache.add_file(digest, str(source)) is None
    with pytest.raises(StorageError, match="larger than the cache limit"):
        cache.writer(digest, size=len(data)).__enter__()
    with pytest.raises(StorageError, match="larger than the cache limit"), cache.writer(digest) as writer:
        writer.write(data)
    assert cached(cache) == {small}  # nothing was evicted for it either
    assert temp_files(root) == []


def test_bad_digests_and_limits_are_refused(root: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="-1"):
        ClientCache(str(root), -1)
    cache = ClientCache(str(root), 1000)
    source = tmp_path / "f"
    source.write_bytes(b"x")
    for call in (
        lambda: cache.get("../../etc/passwd"),
        lambda: cache.add_file("A" * 64, str(source)),
        lambda: cache.writer("0" * 63).__enter__(),
    ):
        with pytest.raises(InvalidInputError, match="64 lowercase hex"):
            call()
    with pytest.raises(InvalidInputError):
        cache.evict(-5)


def test_default_limit_is_a_tenth_of_the_disk_capped_at_20_gb(root: Path) -> None:
    expected = min(shutil.disk_usage(root.parent).total // 10, 20 * 1000**3)
    assert abs(default_limit(str(root / "not" / "created" / "yet")) - expected) <= 1
    assert ClientCache(str(root), None).limit == default_limit(str(root))


def test_concurrent_threads_caching_the_same_blob(root: Path, tmp_path: Path) -> None:
    cache = ClientCache(str(root), 1 << 30)
    digest, data = blob("shared", 3 << 20)
    source = tmp_path / "shared.bin"
    source.write_bytes(data)
    start = threading.Barrier(6)

    def work(index: int) -> None:
        start.wait()
        if index % 2:
            cache.add_file(digest, str(source))
        else:
            with cache.writer(digest, size=len(data)) as writer:
                writer.write(data)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))  # re-raises the first error of any thread
    assert hash_bytes(Path(cache.get(digest) or "").read_bytes()) == digest
    assert cache.size() == len(data)
    assert temp_files(root) == []


def _add_many_in_child(root: str, labels: list[str], start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    cache = ClientCache(root, 4000)
    for label in labels:
        add(cache, label, 200)


@pytest.mark.slow
def test_several_processes_share_one_cache(root: Path) -> None:
    ClientCache(str(root), 4000)  # create the folders
    start = _fork.Barrier(3)
    shared = [f"shared{i}" for i in range(10)]
    children = [
        _fork.Process(
            target=_add_many_in_child, args=(str(root), shared + [f"own{n}-{i}" for i in range(10)], start)
        )
        for n in range(3)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0, 0, 0]
    cache = ClientCache(str(root), 4000)
    for digest in cached(cache):
        assert hash_bytes(Path(cache._blobs.blob_path(digest)).read_bytes()) == digest
    assert temp_files(root) == []
    cache.evict(4000)
    assert cache.size() <= 4000


# --- small blobs kept packed (``add_many``: what copy-mode downloads do) -------------------------


def packed(cache: ClientCache, *blobs: tuple[str, bytes]) -> dict[str, bytes]:
    return dict(cache.packed({digest: len(data) for digest, data in blobs}))


def pack_files(root: Path) -> list[Path]:
    return sorted((root / "obj" / "blake3" / "packs").glob("*.pack"))


def test_add_many_keeps_small_blobs_in_one_pack(root: Path) -> None:
    cache = ClientCache(str(root), 100_000)
    blobs = [blob(f"b{i}", 100 + i) for i in range(50)]
    cache.add_many(blobs)
    assert len(pack_files(root)) == 1
    assert cached(cache) == set()  # no file per blob
    assert packed(cache, *blobs) == dict(blobs)
    assert cache.size() == pack_files(root)[0].stat().st_size == sum(len(data) for _d, data in blobs)
    wrong_size = {blobs[0][0]: len(blobs[0][1]) + 1}
    assert dict(cache.packed(wrong_size)) == {}  # the size is part of a hit
    cache.add_many(blobs[:10])  # kept already: the new pack gets no rows and is removed
    assert len(pack_files(root)) == 1
    assert packed(cache, *blobs) == dict(blobs)


def test_packed_bytes_that_do_not_match_their_digest_are_a_miss(root: Path) -> None:
    """The cache's packs are not synced, so a power cut may leave an indexed blob's bytes
    unwritten (zeros): such a blob is not handed out, the others of its pack are."""
    cache = ClientCache(str(root), 100_000)
    blobs = [blob(f"z{i}", 300) for i in range(3)]
    cache.add_many(blobs)
    (pack,) = pack_files(root)
    os.chmod(pack, 0o644)
    with open(pack, "r+b") as file:
        file.seek(300)  # the second blob, as a torn write leaves it
        file.write(bytes(300))
    assert packed(cache, *blobs) == {blobs[0][0]: blobs[0][1], blobs[2][0]: blobs[2][1]}


def test_the_cache_store_syncs_nothing(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a cache loses is fetched again: adding packed and loose blobs calls no fsync."""
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    cache = ClientCache(str(root), 10_000_000)
    cache.add_many([blob(f"s{i}", 500) for i in range(20)])
    add(cache, "loose", 400_000)
    assert synced == []
    assert cache._blobs.index.connection().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_a_pack_is_evicted_whole_and_by_its_last_use(root: Path) -> None:
    cache = ClientCache(str(root), 100_000)
    old = [blob(f"old{i}", 200) for i in range(5)]
    cache.add_many(old)
    (old_pack,) = pack_files(root)
    when = time.time() - 300
    os.utime(old_pack, (when, when))
    loose = add(cache, "loose", 500)
    age(cache, loose, 200)
    new = [blob(f"new{i}", 200) for i in range(5)]
    cache.add_many(new)
    assert packed(ClientCache(str(root), 100_000), *old) == dict(old)  # another process uses it
    assert cache.evict(2000) == 500  # the loose blob is now the least recently used
    assert cached(cache) == set()
    assert cache.evict(1000) == 1000  # then the pack used longest ago, whole: the new one
    assert packed(cache, *old, *new) == dict(old)
    assert pack_files(root) == [old_pack]
    assert cache.evict(0) == 1000
    assert pack_files(root) == [] and cache.size() == 0


def test_add_many_keeps_the_cache_within_its_limit(root: Path) -> None:
    cache = ClientCache(str(root), 2500)
    batches = [[blob(f"{batch}-{i}", 100) for i in range(10)] for batch in range(5)]
    for batch in batches:
        cache.add_many(batch)
        assert cache.size() <= 2500
    assert packed(cache, *batches[-1]) == dict(batches[-1])
    assert packed(cache, *batches[0]) == {}  # evicted first
    cache.add_many([blob("too big", 3000)])  # larger than the whole limit: not kept
    assert packed(cache, blob("too big", 3000)) == {}


def test_a_pack_being_written_by_another_process_is_not_evicted(root: Path) -> None:
    cache = ClientCache(str(root), 100_000)
    cache.add_many([blob("kept", 300)])
    unindexed = root / "obj" / "blake3" / "packs" / ("0" * 32 + ".pack")
    unindexed.write_bytes(b"x" * 400)  # no index rows yet: a writer in another process
    assert cache.size() == 700
    assert cache.evict(0) == 300
    assert unindexed.exists()
