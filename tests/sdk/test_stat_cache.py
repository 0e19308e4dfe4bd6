"""StatCache: trusts a digest only for an exact (inode, size, mtime) match of a file
that was not modified just before being recorded; batches lookups; never fails its caller."""

from __future__ import annotations

import os
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archivist.core.manifest import hash_bytes
from archivist.sdk.stat_cache import RACY_SECONDS, StatCache

AN_HOUR_AGO = time.time() - 3600


@pytest.fixture
def cache(tmp_path: Path):
    stat_cache = StatCache(str(tmp_path / "statcache.sqlite"))
    yield stat_cache
    stat_cache.close()


def settled_file(path: Path, content: bytes, mtime: float = AN_HOUR_AGO) -> os.stat_result:
    """Write ``content`` and date it back so the racy-mtime rule does not apply."""
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))
    return os.stat(path)


def test_an_unchanged_file_is_found(cache: StatCache, tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    st = settled_file(path, b"alpha")
    cache.record_many([(str(path), st, hash_bytes(b"alpha"))])
    assert cache.lookup(str(path), os.stat(path)) == hash_bytes(b"alpha")
    assert cache.lookup_many([(str(path), os.stat(path))]) == {str(path): hash_bytes(b"alpha")}


def test_an_unknown_path_is_not_found(cache: StatCache, tmp_path: Path) -> None:
    st = settled_file(tmp_path / "a.bin", b"alpha")
    assert cache.lookup(str(tmp_path / "a.bin"), st) is None
    assert cache.lookup_many([(str(tmp_path / "a.bin"), st)]) == {}
    assert cache.lookup_many([]) == {}


def test_a_different_size_is_not_trusted(cache: StatCache, tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    cache.record_many([(str(path), settled_file(path, b"alpha"), hash_bytes(b"alpha"))])
    changed = settled_file(path, b"alpha, longer")  # same inode, same mtime, new size
    assert cache.lookup(str(path), changed) is None


def test_a_different_mtime_is_not_trusted(cache: StatCache, tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    cache.record_many([(str(path), settled_file(path, b"alpha"), hash_bytes(b"alpha"))])
    changed = settled_file(path, b"alphb", mtime=AN_HOUR_AGO + 1)  # same inode and size
    assert cache.lookup(str(path), changed) is None


def test_a_different_inode_is_not_trusted(cache: StatCache, tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    original = settled_file(path, b"alpha")
    cache.record_many([(str(path), original, hash_bytes(b"alpha"))])
    replacement = tmp_path / "replacement.bin"
    settled_file(replacement, b"alphb")
    os.utime(replacement, ns=(original.st_atime_ns, original.st_mtime_ns))
    os.replace(replacement, path)  # same path, size and mtime; another inode
    now = os.stat(path)
    assert (now.st_size, now.st_mtime_ns) == (original.st_size, original.st_mtime_ns)
    assert now.st_ino != original.st_ino
    assert cache.lookup(str(path), now) is None


def test_a_file_rewritten_in_place_with_its_mtime_set_back_is_not_trusted(
    cache: StatCache, tmp_path: Path
) -> None:
    path = tmp_path / "a.bin"
    original = settled_file(path, b"alpha")
    cache.record_many([(str(path), original, hash_bytes(b"alpha"))])
    time.sleep(0.01)  # a later ctime tick
    with open(path, "r+b") as rewritten:  # in place, as rsync --inplace does: same inode
        rewritten.write(b"alphb")
    os.utime(path, ns=(original.st_atime_ns, original.st_mtime_ns))  # as rsync -t / tar do
    now = os.stat(path)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == (
        original.st_ino,
        original.st_size,
        original.st_mtime_ns,
    )
    assert cache.lookup(str(path), now) is None
    assert cache.lookup_many([(str(path), now)]) == {}
    assert cache.lookup_under(str(tmp_path), [(str(path), now)]) == {}
    assert cache.lookup(str(path), original) == hash_bytes(b"alpha")  # the row itself is intact


def test_a_cache_of_the_old_layout_starts_empty_and_works(tmp_path: Path) -> None:
    db = tmp_path / "statcache.sqlite"
    with sqlite3.connect(db) as old:
        old.execute(
            "CREATE TABLE stat_cache (path TEXT PRIMARY KEY, inode INTEGER NOT NULL, size INTEGER NOT NULL,"
            " mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL) WITHOUT ROWID"
        )
        old.execute("INSERT INTO stat_cache VALUES ('/x', 1, 2, 3, 'ab')")
    old.close()
    cache = StatCache(str(db))
    path = tmp_path / "a.bin"
    st = settled_file(path, b"alpha")
    cache.record_many([(str(path), st, hash_bytes(b"alpha"))])
    assert cache.lookup(str(path), st) == hash_bytes(b"alpha")
    cache.close()
    with sqlite3.connect(db) as check:
        tables = {name for (name,) in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    check.close()
    assert tables == {"file_stats"}


def test_recording_again_replaces_the_row(cache: StatCache, tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    cache.record_many([(str(path), settled_file(path, b"one"), hash_bytes(b"one"))])
    st = settled_file(path, b"two", mtime=AN_HOUR_AGO + 5)
    cache.record_many([(str(path), st, hash_bytes(b"two"))])
    assert cache.lookup(str(path), st) == hash_bytes(b"two")


def test_recently_modified_files_are_not_recorded(cache: StatCache, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.bin"
    fresh.write_bytes(b"just written")
    just_settled = tmp_path / "settled.bin"
    st_settled = settled_file(just_settled, b"older", mtime=time.time() - RACY_SECONDS - 1)
    future = tmp_path / "future.bin"
    st_future = settled_file(future, b"clock skew", mtime=time.time() + 3600)
    cache.record_many(
        [
            (str(fresh), os.stat(fresh), hash_bytes(b"just written")),
            (str(just_settled), st_settled, hash_bytes(b"older")),
            (str(future), st_future, hash_bytes(b"clock skew")),
        ]
    )
    assert cache.lookup(str(fresh), os.stat(fresh)) is None
    assert cache.lookup(str(future), st_future) is None
    assert cache.lookup(str(just_settled), st_settled) == hash_bytes(b"older")


def test_relative_paths_are_keyed_as_absolute(
    cache: StatCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    st = settled_file(tmp_path / "rel.bin", b"relative")
    cache.record_many([("rel.bin", st, hash_bytes(b"relative"))])
    assert cache.lookup(str(tmp_path / "rel.bin"), st) == hash_bytes(b"relative")
    assert cache.lookup_many([("rel.bin", st)]) == {"rel.bin": hash_bytes(b"relative")}


def test_entries_persist_across_instances(tmp_path: Path) -> None:
    db = str(tmp_path / "statcache.sqlite")
    st = settled_file(tmp_path / "a.bin", b"alpha")
    first = StatCache(db)
    first.record_many([(str(tmp_path / "a.bin"), st, hash_bytes(b"alpha"))])
    first.flush()  # recordings are written on a background thread
    second = StatCache(db)  # open while the first is still open, as another process would
    assert second.lookup(str(tmp_path / "a.bin"), st) == hash_bytes(b"alpha")
    first.close()
    second.close()


def test_lookups_for_20000_paths_take_one_query(cache: StatCache, tmp_path: Path) -> None:
    unchanged = settled_file(tmp_path / "unchanged.bin", b"same")
    changed = settled_file(tmp_path / "changed.bin", b"other", mtime=AN_HOUR_AGO + 7)
    paths = [str(tmp_path / "tree" / f"d{i % 100}" / f"file{i:05}.png") for i in range(20_000)]
    cache.record_many([(path, unchanged, hash_bytes(path.encode())) for path in paths])
    cache.flush()
    # every tenth file changed since it was recorded
    batch = [(path, changed if i % 10 == 0 else unchanged) for i, path in enumerate(paths)]
    statements: list[str] = []
    cache._conn.set_trace_callback(statements.append)  # type: ignore[union-attr]
    found = cache.lookup_many(batch)
    cache._conn.set_trace_callback(None)  # type: ignore[union-attr]
    assert len(statements) == 1
    assert len(found) == 18_000
    assert found == {path: hash_bytes(path.encode()) for i, path in enumerate(paths) if i % 10}


def test_record_many_writes_in_one_transaction(cache: StatCache, tmp_path: Path) -> None:
    st = settled_file(tmp_path / "a.bin", b"alpha")
    statements: list[str] = []
    cache._conn.set_trace_callback(statements.append)  # type: ignore[union-attr]
    cache.record_many((f"/data/{i}", st, hash_bytes(b"%d" % i)) for i in range(500))
    cache.flush()
    cache._conn.set_trace_callback(None)  # type: ignore[union-attr]
    assert sum(s.strip().upper().startswith("BEGIN") for s in statements) == 1
    assert sum(s.strip().upper() == "COMMIT" for s in statements) == 1
    assert cache.lookup("/data/499", st) == hash_bytes(b"499")


def test_a_locked_database_does_not_fail_the_caller(cache: StatCache, tmp_path: Path) -> None:
    st = settled_file(tmp_path / "a.bin", b"alpha")
    cache.record_many([(str(tmp_path / "a.bin"), st, hash_bytes(b"alpha"))])
    cache.flush()
    other = sqlite3.connect(cache.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        cache.record_many([(str(tmp_path / "b.bin"), st, hash_bytes(b"b"))])  # gives up quietly
        assert cache.lookup(str(tmp_path / "a.bin"), st) == hash_bytes(b"alpha")  # WAL: reads go on
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert cache.lookup(str(tmp_path / "b.bin"), st) is None


def test_a_lookup_sees_what_the_same_cache_just_recorded(cache: StatCache, tmp_path: Path) -> None:
    st = settled_file(tmp_path / "a.bin", b"alpha")
    for i in range(20):  # recordings land on a background thread; lookups wait for them
        cache.record_many([(f"/data/{i}", st, hash_bytes(b"%d" % i))])
        assert cache.lookup(f"/data/{i}", st) == hash_bytes(b"%d" % i)


@pytest.mark.parametrize("kind", ["directory", "garbage", "missing-parent"])
def test_an_unusable_database_behaves_as_empty(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "statcache.sqlite"
    if kind == "directory":
        db.mkdir()
    elif kind == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    else:
        db = tmp_path / "no" / "such" / "dir" / "statcache.sqlite"
    cache = StatCache(str(db))
    st = settled_file(tmp_path / "a.bin", b"alpha")
    cache.record_many([(str(tmp_path / "a.bin"), st, hash_bytes(b"alpha"))])
    assert cache.lookup(str(tmp_path / "a.bin"), st) is None
    assert cache.lookup_many([(str(tmp_path / "a.bin"), st)]) == {}
    cache.close()


def test_threads_may_share_one_instance(cache: StatCache, tmp_path: Path) -> None:
    st = settled_file(tmp_path / "a.bin", b"alpha")

    def work(worker: int) -> None:
        for i in range(50):
            path = f"/w{worker}/{i}"
            cache.record_many([(path, st, hash_bytes(path.encode()))])
            assert cache.lookup(path, st) == hash_bytes(path.encode())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))  # re-raises the first error of any thread


def test_names_that_are_not_utf8_are_hashed_every_time_without_errors(
    cache: StatCache, tmp_path: Path
) -> None:
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.bin")  # Latin-1 name on disk
    st = settled_file(Path(odd), b"odd")
    accented = tmp_path / "café.bin"
    st_accented = settled_file(accented, b"accented")
    cache.record_many([(odd, st, hash_bytes(b"odd")), (str(accented), st_accented, hash_bytes(b"accented"))])
    assert cache.lookup(odd, st) is None
    assert cache.lookup_many([(odd, st), (str(accented), st_accented)]) == {
        str(accented): hash_bytes(b"accented")
    }


def test_names_beyond_ascii_and_nanosecond_mtimes_round_trip(cache: StatCache, tmp_path: Path) -> None:
    path = tmp_path / 'dätä ✓ "quoted" \\ back.bin'
    st = settled_file(path, b"unicode")
    os.utime(path, ns=(st.st_atime_ns, 1_600_000_000_123_456_789))
    st = os.stat(path)
    cache.record_many([(str(path), st, hash_bytes(b"unicode"))])
    assert cache.lookup(str(path), os.stat(path)) == hash_bytes(b"unicode")
