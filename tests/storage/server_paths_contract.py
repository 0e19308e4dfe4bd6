"""The BlobStore methods a server's byte paths and upkeep use, against every store
(``BlobStoreContract`` includes these): what differs between stores is behind them."""

from __future__ import annotations

import os
import time
import urllib.request

import pytest

from archivist.core.errors import BlobNotFoundError, IntegrityError
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import CleanupReport
from archivist.storage.base import BlobStore

LARGE = bytes(range(256)) * 1200  # 300 KiB: a blob of its own (not packed) everywhere
SMALL = [b"small %d" % i for i in range(5)]


def _read(store: BlobStore, digest: str) -> bytes:
    with store.open(digest) as reader:
        return reader.read()


def _put_some(store: BlobStore) -> dict[str, bytes]:
    """Small blobs stored as a batch (packed in a folder store) and a large one alone."""
    store.put_bytes_many([(hash_bytes(data), data) for data in SMALL])
    store.put_bytes(hash_bytes(LARGE), LARGE)
    return {hash_bytes(data): data for data in [*SMALL, LARGE]}


class ServerPathsContract:
    def test_an_upload_sink_stores_what_it_was_fed(self, store: BlobStore) -> None:
        digest = hash_bytes(LARGE)
        sink = store.open_upload(digest, len(LARGE))
        for start in range(0, len(LARGE), 100_000):
            sink.write(memoryview(LARGE)[start : start + 100_000])
        sink.commit()
        assert _read(store, digest) == LARGE
        assert store.missing([digest]) == set()

    def test_an_upload_sink_fed_other_bytes_stores_nothing(self, store: BlobStore) -> None:
        digest = hash_bytes(LARGE)
        sink = store.open_upload(digest, len(LARGE))
        sink.write(LARGE[:-1] + b"!")
        with pytest.raises(IntegrityError, match="nothing was stored"):
            sink.commit()
        assert store.missing([digest]) == {digest}
        assert list(store.iter_digests()) == []

    def test_an_aborted_upload_stores_nothing(self, store: BlobStore) -> None:
        digest = hash_bytes(LARGE)
        sink = store.open_upload(digest)
        sink.write(LARGE)
        sink.abort()
        assert list(store.iter_digests()) == []

    def test_a_splice_sink_stores_what_the_kernel_moved_into_it(self, store: BlobStore) -> None:
        digest = hash_bytes(LARGE)
        sink = store.open_splice_upload(digest)
        if sink is None:  # this store takes uploads through open_upload only
            assert store.missing([digest]) == {digest}
            return
        sink.write(LARGE[:1000])
        rest = [LARGE[start : start + 65536] for start in range(1000, len(LARGE), 65536)]
        sink.append_moved(lambda: os.write(sink.fd, rest.pop(0)) if rest else 0)
        sink.commit()
        assert _read(store, digest) == LARGE

    def test_open_sized_gives_the_bytes_and_their_count(self, store: BlobStore) -> None:
        for digest, data in _put_some(store).items():
            reader, size = store.open_sized(digest)
            with reader:
                assert (reader.read(), size) == (data, len(data))
        with pytest.raises(BlobNotFoundError):
            store.open_sized(hash_bytes(b"absent"))

    def test_read_many_gives_each_blob_once(self, store: BlobStore) -> None:
        held = _put_some(store)
        asked = [*held, *held][::-1]
        read = {blob.digest: (blob.size, b"".join(blob.chunks)) for blob in store.read_many(asked)}
        assert read == {digest: (len(data), data) for digest, data in held.items()}

    def test_read_many_refuses_before_reading_when_a_blob_is_absent(self, store: BlobStore) -> None:
        held = _put_some(store)
        absent = hash_bytes(b"absent")
        with pytest.raises(BlobNotFoundError, match=absent):
            store.read_many([*held, absent])  # refused before a blob is iterated

    def test_presigned_access_serves_the_blob_where_offered(self, store: BlobStore) -> None:
        digest = hash_bytes(LARGE)
        store.put_bytes(digest, LARGE)
        access = store.presigned_access()
        if access is None:  # clients reach this store through the server only
            assert store.missing([digest]) == set()
            return
        with urllib.request.urlopen(access.presign_download(digest, 60), timeout=30) as answer:
            assert answer.read() == LARGE

    def test_delete_many_removes_those_named(self, store: BlobStore) -> None:
        held = list(_put_some(store))
        store.delete_many([*held[1:], hash_bytes(b"never stored")])
        assert set(store.iter_digests()) == {held[0]}
        assert store.missing(held) == set(held[1:])

    def test_blob_times_are_when_held_blobs_were_written(self, store: BlobStore) -> None:
        before = time.time()
        held = _put_some(store)
        after = time.time()
        times = store.blob_times([*held, hash_bytes(b"absent")])
        assert set(times) <= set(held)
        assert all(before - 2 <= written <= after + 2 for written in times.values())

    def test_upkeep_keeps_every_held_blob(self, store: BlobStore) -> None:
        held = _put_some(store)
        store.delete_many(list(held)[:3])  # leaves a folder store's pack mostly deleted
        kept = dict(list(held.items())[3:])
        assert store.compact_packs() >= 0
        assert store.cleanup_temp(0) >= 0
        assert isinstance(store.clean_stale_uploads(0), CleanupReport)
        assert {digest: _read(store, digest) for digest in kept} == kept
        assert set(store.iter_digests()) == set(kept)

    def test_free_bytes_is_a_count_where_the_store_has_a_disk(self, store: BlobStore) -> None:
        free = store.free_bytes()
        assert free is None or (isinstance(free, int) and free > 0)
