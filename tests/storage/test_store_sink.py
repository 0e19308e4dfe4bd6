"""StoreSink: blobs handed over in chunks are stored on a thread by the store's rules (packed,
or loose), durable once ``wait`` returns."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from archivist.core.manifest import hash_bytes
from archivist.storage.local import LocalBlobStore
from archivist.storage.packs import PACK_MAX_BLOB_BYTES
from archivist.storage.store_sink import QUEUED_CHUNKS, StoreSink


def _blobs(prefix: str, count: int) -> list[tuple[str, bytes]]:
    return [(hash_bytes(data), data) for data in (f"{prefix}-{i}".encode() * 40 for i in range(count))]


def _read(store: LocalBlobStore, digest: str) -> bytes:
    with store.open(digest) as reader:
        return reader.read()


def test_chunks_end_in_one_indexed_pack(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    blobs = _blobs("a", 3000)
    sink = store.open_sink()
    assert isinstance(sink, StoreSink)
    for start in range(0, len(blobs), 100):
        sink.add_many(blobs[start : start + 100])
    sink.wait()
    assert store.missing(d for d, _data in blobs) == set()
    assert len(list(Path(store.packs_dir).glob("*.pack"))) == 1
    for digest, data in blobs[::250]:
        assert _read(store, digest) == data


def test_blobs_the_store_holds_already_are_not_written_again(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    old, new = _blobs("old", 50), _blobs("new", 50)
    store.put_bytes_many(old)
    sink = store.open_sink()
    assert sink is not None
    sink.add_many([*old, *new])
    sink.wait()
    with sqlite3.connect(store.index.path) as connection:
        counts = sorted(row[0] for row in connection.execute("SELECT live_count FROM packs"))
    assert counts == [50, 50]
    assert store.missing(d for d, _data in [*old, *new]) == set()


def test_a_store_that_keeps_blobs_loose_gets_a_file_per_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"), pack_small_blobs=False)
    old, new = _blobs("old", 20), _blobs("new", 30)
    store.put_bytes_many(old)
    before = {digest: os.stat(store.blob_path(digest)).st_ino for digest, _data in old}
    sink = store.open_sink()
    sink.add_many([*old, *new])
    sink.wait()
    assert not Path(store.packs_dir).exists() or list(Path(store.packs_dir).glob("*.pack")) == []
    for digest, data in [*old, *new]:
        assert Path(store.blob_path(digest)).read_bytes() == data
    assert {digest: os.stat(store.blob_path(digest)).st_ino for digest, _data in old} == before


def test_blobs_over_the_pack_limit_are_stored_loose_beside_the_pack(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    small = _blobs("s", 10)
    large_data = os.urandom(PACK_MAX_BLOB_BYTES + 1)
    large = (hash_bytes(large_data), large_data)
    sink = store.open_sink()
    sink.add_many([*small, large])
    sink.wait()
    assert Path(store.blob_path(large[0])).read_bytes() == large_data
    assert set(store.index.sizes([d for d, _data in small])) == {d for d, _data in small}
    assert store.index.sizes([large[0]]) == {}


def test_a_failing_sink_reports_at_wait_and_never_blocks_its_producer(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    os.makedirs(os.path.dirname(store.packs_dir), exist_ok=True)
    Path(store.packs_dir).mkdir(exist_ok=True)
    Path(store.index.path).write_bytes(b"not a database")  # every index use fails
    sink = store.open_sink()
    assert sink is not None
    for start in range(0, 3 * QUEUED_CHUNKS):  # more chunks than the queue holds
        sink.add_many(_blobs(f"c{start}", 5))
    with pytest.raises(sqlite3.DatabaseError):
        sink.wait()
    assert list(Path(store.packs_dir).glob("*.pack")) == []  # the unsealed pack was removed


def test_wait_returns_what_was_stored_and_what_was_expected_and_found(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    held, absent, given = _blobs("held", 5), _blobs("absent", 5), _blobs("given", 5)
    store.put_bytes_many(held)
    sink = store.open_sink()
    sink.expect([(digest, len(data)) for digest, data in [*held, *absent]])
    sink.add_many(given)
    covered = sink.wait()
    assert covered == {digest for digest, _data in [*held, *given]}
    assert store.missing(d for d, _data in absent) == {d for d, _data in absent}
