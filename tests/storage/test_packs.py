"""LocalBlobStore packs: small blobs of a batch share pack files, found through the index.

What only packs promise (the BlobStore contract runs in test_local.py): few files for
many blobs, index lookups instead of stats, compaction, orphan cleanup, link mode."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from archivist.core.errors import FileChangedError, StorageError
from archivist.core.manifest import hash_bytes
from archivist.storage import copying
from archivist.storage.local import LocalBlobStore
from archivist.storage.packs import PACK_MAX_BLOB_BYTES, PackWriter


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


def small_files(
    folder: Path, count: int, prefix: str = "f", size: int = 1500
) -> dict[str, tuple[str, bytes]]:
    """``count`` distinct small files: digest -> (path, bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for i in range(count):
        data = f"{prefix}{i}:".encode() * (size // 8 + i % 7)
        path = folder / f"{prefix}{i}.bin"
        path.write_bytes(data)
        files[hash_bytes(data)] = (str(path), data)
    return files


def put_all(store: LocalBlobStore, files: dict[str, tuple[str, bytes]]) -> None:
    store.put_files([(digest, path) for digest, (path, _data) in files.items()])


def pack_files(store: LocalBlobStore) -> list[Path]:
    return sorted(Path(store.packs_dir).glob("*.pack"))


def read(store: LocalBlobStore, digest: str) -> bytes:
    with store.open(digest) as reader:
        return reader.read()


def index_rows(store: LocalBlobStore, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(store.index.path) as connection:
        return connection.execute(f"SELECT * FROM {table}").fetchall()


def test_two_thousand_small_blobs_end_in_one_pack_and_no_loose_files(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    files = small_files(tmp_path / "src", 2000)
    put_all(store, files)
    assert len(pack_files(store)) == 1
    assert sorted(p.name for p in Path(store.root).iterdir()) == ["packs", "tmp"]
    assert store.missing(files) == set()
    assert all(read(store, digest) == data for digest, (_path, data) in files.items())
    assert sorted(store.iter_digests()) == sorted(files)
    assert all(store.local_path(digest) is None for digest in list(files)[:10])  # packed: no own file
    [(_name, size, live, count, _at)] = index_rows(store, "packs")
    assert (size, live, count) == (sum(len(d) for _p, d in files.values()),) * 2 + (2000,)


def test_a_store_that_does_not_pack_keeps_every_blob_in_its_own_file(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"), pack_small_blobs=False)
    files = small_files(tmp_path / "src", 50)
    put_all(store, files)
    assert pack_files(store) == []
    for digest, (_path, data) in files.items():
        local = store.local_path(digest)
        assert local is not None and Path(local).read_bytes() == data
    assert store.missing(files) == set()


def test_a_batch_larger_than_a_pack_fills_several_packs(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"), pack_max_bytes=64 << 10)
    files = small_files(tmp_path / "src", 100)
    put_all(store, files)
    sizes = [p.stat().st_size for p in pack_files(store)]
    assert len(sizes) == -(-sum(len(d) for _p, d in files.values()) // (64 << 10))
    assert all(size < (64 << 10) + 2000 for size in sizes)
    assert all(read(store, digest) == data for digest, (_path, data) in files.items())


def test_large_blobs_stay_loose(store: LocalBlobStore, tmp_path: Path) -> None:
    data = b"L" * (PACK_MAX_BLOB_BYTES + 1)
    (tmp_path / "large").write_bytes(data)
    store.put_files([(hash_bytes(data), str(tmp_path / "large"))])
    assert Path(store.local_path(hash_bytes(data)) or "").read_bytes() == data
    assert pack_files(store) == []


def test_a_store_without_batches_has_no_index(store: LocalBlobStore) -> None:
    store.put_bytes(hash_bytes(b"single"), b"single")
    assert store.missing([hash_bytes(b"single"), hash_bytes(b"other")]) == {hash_bytes(b"other")}
    assert not os.path.exists(store.packs_dir)


@pytest.mark.parametrize(
    ("absent_count", "stats_absent"),
    [(2, True), (3000, False)],  # thousands of digests: their folders are listed, not stat'ed each
)
def test_missing_answers_packed_blobs_from_the_index_and_stats_only_the_rest(
    store: LocalBlobStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    absent_count: int,
    stats_absent: bool,
) -> None:
    packed = small_files(tmp_path / "src", 300)
    put_all(store, packed)
    loose = [hash_bytes(b"loose %d" % i) for i in range(3)]
    for i, digest in enumerate(loose):
        store.put_bytes(digest, b"loose %d" % i)
    absent = [hash_bytes(b"absent %d" % i) for i in range(absent_count)]
    stats: list[str] = []
    real_stat = os.stat

    def counting_stat(path: str, *args: object, **kwargs: object) -> os.stat_result:
        stats.append(str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counting_stat)
    assert store.missing([*packed, *loose, *absent]) == set(absent)
    assert len(stats) == len(loose) + (len(absent) if stats_absent else 0)


def test_put_file_and_put_bytes_of_a_packed_blob_write_nothing(store: LocalBlobStore, tmp_path: Path) -> None:
    files = small_files(tmp_path / "src", 3)
    put_all(store, files)
    digest, (_path, data) = next(iter(files.items()))
    assert store.put_file(digest, str(tmp_path / "not-read")) == len(data)
    store.put_bytes(digest, data)
    assert store.local_path(digest) is None
    assert list(Path(store.temp_dir).iterdir()) == []


def test_a_changed_file_in_a_batch_is_not_packed(store: LocalBlobStore, tmp_path: Path) -> None:
    files = small_files(tmp_path / "src", 20)
    victim, (victim_path, _data) = list(files.items())[7]
    Path(victim_path).write_bytes(b"overwritten by a training loop")
    with pytest.raises(FileChangedError, match=Path(victim_path).name):
        put_all(store, files)
    assert store.missing(files) == {victim}
    assert len(pack_files(store)) == 1
    assert len(index_rows(store, "blobs")) == 19


def test_a_batch_whose_blobs_are_all_held_makes_no_pack(store: LocalBlobStore, tmp_path: Path) -> None:
    files = small_files(tmp_path / "src", 10)
    put_all(store, files)
    before = pack_files(store)
    put_all(store, files)
    store.put_bytes_many([(digest, data) for digest, (_path, data) in files.items()])
    assert pack_files(store) == before


def test_delete_of_every_blob_of_a_pack_removes_the_pack(store: LocalBlobStore, tmp_path: Path) -> None:
    first = small_files(tmp_path / "a", 10, "a")
    second = small_files(tmp_path / "b", 10, "b")
    put_all(store, first)
    [first_pack] = pack_files(store)
    put_all(store, second)
    store.delete_many(list(first)[:9])
    assert first_pack.exists()
    store.delete(list(first)[9])
    assert not first_pack.exists()
    assert len(pack_files(store)) == 1
    assert store.missing([*first, *second]) == set(first)
    assert [name for name, *_rest in index_rows(store, "packs")] == [pack_files(store)[0].stem]


def test_compaction_rewrites_a_mostly_dead_pack_and_keeps_the_live_blobs(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    files = small_files(tmp_path / "src", 400)
    put_all(store, files)
    [old_pack] = pack_files(store)
    doomed, kept = list(files)[:300], list(files)[300:]
    store.delete_many(doomed)
    old_size = old_pack.stat().st_size
    assert old_size == sum(len(d) for _p, d in files.values())  # deleting frees no bytes yet
    kept_bytes = sum(len(files[digest][1]) for digest in kept)
    assert store.compact_packs() == old_size - kept_bytes
    [new_pack] = pack_files(store)
    assert new_pack != old_pack and new_pack.stat().st_size == kept_bytes
    assert all(read(store, digest) == files[digest][1] for digest in kept)
    assert store.missing(files) == set(doomed)
    assert store.compact_packs() == 0  # the new pack is all live


def test_a_reader_whose_pack_was_compacted_meanwhile_looks_it_up_again(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    files = small_files(tmp_path / "src", 40)
    put_all(store, files)
    survivor = list(files)[-1]
    stale = store.index.locate([survivor])
    store.delete_many(list(files)[:-1])
    store.compact_packs()
    assert stale[survivor].pack not in {p.stem for p in pack_files(store)}
    [(digest, data)] = list(copying.packed_bytes(store, stale))
    assert (digest, data) == (survivor, files[survivor][1])


def test_reads_during_compactions_never_fail(store: LocalBlobStore, tmp_path: Path) -> None:
    files = small_files(tmp_path / "src", 200)
    put_all(store, files)
    survivors = list(files)[150:]
    failures: list[BaseException] = []
    stop = threading.Event()

    def read_until_stopped() -> None:
        while not stop.is_set():
            for digest in survivors:
                try:
                    assert read(store, digest) == files[digest][1]
                except BaseException as error:
                    failures.append(error)
                    return

    reader = threading.Thread(target=read_until_stopped)
    reader.start()
    try:
        for start in range(0, 150, 30):  # five rounds: delete some, compact
            store.delete_many(list(files)[start : start + 30])
            store.compact_packs()
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert store.missing(survivors) == set()


def test_link_mode_shares_the_blobs_inode_read_only(store: LocalBlobStore, tmp_path: Path) -> None:
    files = small_files(tmp_path / "src", 5)
    put_all(store, files)
    loose = hash_bytes(b"a loose blob")
    store.put_bytes(loose, b"a loose blob")
    out = tmp_path / "out"
    out.mkdir()
    items = [(digest, str(out / f"p{i}")) for i, digest in enumerate(files)] + [(loose, str(out / "loose"))]
    items.append((next(iter(files)), str(out / "p0-again")))
    store.copy_to(items, link=True)
    for digest, dest in items:
        blob = store.local_path(digest)  # a packed blob now also has its loose file
        assert blob is not None
        assert os.stat(dest).st_ino == os.stat(blob).st_ino
        assert os.stat(dest).st_mode & 0o222 == 0
        assert hash_bytes(Path(dest).read_bytes()) == digest
    assert os.stat(out / "p0").st_nlink == 3
    assert sorted(store.iter_digests()) == sorted([*files, loose])  # listed once each
    again = tmp_path / "again"
    again.mkdir()
    store.copy_to([(digest, str(again / digest)) for digest in files], link=True)
    assert all(os.stat(again / d).st_ino == os.stat(store.local_path(d) or "").st_ino for d in files)


def test_link_mode_copies_where_the_filesystem_refuses_links(store: LocalBlobStore, tmp_path: Path) -> None:
    other_fs = Path("/dev/shm")
    if not other_fs.is_dir() or other_fs.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the store")
    files = small_files(tmp_path / "src", 4)
    put_all(store, files)
    loose = hash_bytes(b"loose")
    store.put_bytes(loose, b"loose")
    out = Path(os.path.join(other_fs, f"archivist-test-{os.getpid()}-{time.monotonic_ns()}"))
    out.mkdir()
    try:
        items = [(digest, str(out / digest)) for digest in [loose, *files]]
        store.copy_to(items, link=True)
        for digest, dest in items:
            assert hash_bytes(Path(dest).read_bytes()) == digest
            assert os.stat(dest).st_nlink == 1
        assert all(store.local_path(digest) is None for digest in files)  # nothing extracted
    finally:
        for child in out.iterdir():
            child.unlink()
        out.rmdir()


def test_cleanup_removes_old_unindexed_packs_only(store: LocalBlobStore, tmp_path: Path) -> None:
    put_all(store, small_files(tmp_path / "src", 5))
    [indexed] = pack_files(store)
    orphan = Path(store.packs_dir) / ("0" * 32 + ".pack")
    orphan.write_bytes(b"x" * 1000)
    fresh = Path(store.packs_dir) / ("1" * 32 + ".pack")
    fresh.write_bytes(b"y" * 10)
    an_hour_ago = time.time() - 3600
    for path in (indexed, orphan):
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert store.cleanup_temp(older_than_seconds=600) == 1000
    assert pack_files(store) == sorted([indexed, fresh])


def test_a_pack_removed_before_it_was_indexed_stores_nothing(store: LocalBlobStore) -> None:
    writer = PackWriter(store.packs_dir, store.index)
    writer.add(hash_bytes(b"in flight"), b"in flight")
    store.cleanup_temp(older_than_seconds=0)  # a cleaner that judged the writer dead
    with pytest.raises(StorageError, match="removed before it was indexed"):
        writer.finish()
    assert store.missing([hash_bytes(b"in flight")]) == {hash_bytes(b"in flight")}
    assert pack_files(store) == []
    assert index_rows(store, "blobs") == []


def test_a_batch_of_trusted_held_bytes_is_packed_whole_and_readable(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    files = small_files(tmp_path / "src", 2500, size=600)  # more pieces than one writev takes
    sizes: list[int] = []
    held = {digest: data for digest, (_path, data) in files.items()}
    store.put_files([(d, path) for d, (path, _data) in files.items()], sizes.append, held, trust_held=True)
    assert sum(sizes) == sum(len(data) for data in held.values())
    assert len(pack_files(store)) == 1
    for digest, data in held.items():
        assert read(store, digest) == data
    (pack,) = index_rows(store, "packs")
    assert pack[1] == pack[2] == sum(len(data) for data in held.values())  # bytes == live bytes
    assert pack[3] == len(held)


def test_sealing_a_pack_whose_blobs_another_writer_indexed_meanwhile_counts_only_its_own(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    files = small_files(tmp_path / "src", 6)
    items = list(files.items())
    writer = PackWriter(store.packs_dir, store.index)
    for digest, (_path, data) in items:
        writer.add(digest, data)
    put_all(store, dict(items[:2]))  # another writer packs two of them first
    writer.finish()
    own = [row for row in index_rows(store, "packs") if row[3] == 4]
    assert len(own) == 1
    assert own[0][2] == sum(len(data) for _digest, (_path, data) in items[2:])
    for digest, (_path, data) in items:
        assert read(store, digest) == data


def _temp_tables(store: LocalBlobStore) -> list[str]:
    connection = store.index.connection()
    assert connection is not None
    return [row[0] for row in connection.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")]


def test_rows_staged_over_many_flushes_are_all_indexed_and_the_stage_is_dropped(
    store: LocalBlobStore,
) -> None:
    blobs = [(hash_bytes(data), data) for data in (os.urandom(200_000) for _ in range(90))]  # 18 MB
    writer = PackWriter(store.packs_dir, store.index)
    writer.add_many(blobs[:60], lambda _n: None)  # past FLUSH_BYTES: staged already
    assert len(_temp_tables(store)) == 1
    assert index_rows(store, "blobs") == []  # nothing visible before the seal
    writer.add_many([*blobs[60:], blobs[0]], lambda _n: None)  # a digest twice: its first row stays
    writer.finish()
    assert _temp_tables(store) == []
    assert len(index_rows(store, "blobs")) == 90
    (pack,) = index_rows(store, "packs")
    assert pack[3] == 90 and pack[2] == sum(len(data) for _digest, data in blobs)
    for digest, data in blobs[::10]:
        assert read(store, digest) == data


def test_an_aborted_pack_leaves_no_stage_and_no_rows(store: LocalBlobStore) -> None:
    blobs = [(hash_bytes(data), data) for data in (os.urandom(300_000) for _ in range(40))]
    writer = PackWriter(store.packs_dir, store.index)
    writer.add_many(blobs, lambda _n: None)
    writer.abort()
    assert _temp_tables(store) == []
    assert pack_files(store) == []
    assert index_rows(store, "blobs") == []


def test_a_pack_sealed_on_another_thread_than_it_was_staged_on_stores_nothing(store: LocalBlobStore) -> None:
    """A pack's rows are staged on its writer thread's connection: sealing elsewhere fails
    whole (the pack is dropped) rather than indexing part of it."""
    blobs = [(hash_bytes(data), data) for data in (f"blob {i}".encode() * 50 for i in range(20))]
    writer = PackWriter(store.packs_dir, store.index)
    writer.add_many(blobs, lambda _n: None)
    failures: list[BaseException] = []

    def seal() -> None:
        try:
            writer.finish()
        except (StorageError, sqlite3.Error) as error:
            failures.append(error)

    sealing = threading.Thread(target=seal)
    sealing.start()
    sealing.join()
    assert len(failures) == 1
    assert pack_files(store) == []
    assert store.missing(digest for digest, _data in blobs) == {digest for digest, _data in blobs}
