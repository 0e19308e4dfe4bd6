"""The behaviour every BlobStore must have (the fsspec pattern).

An implementation's test module subclasses ``BlobStoreContract`` and provides a
``store`` fixture; every test here then runs against it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archivist.core.errors import (
    BlobNotFoundError,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
)
from archivist.core.manifest import hash_bytes
from archivist.sdk.hashing import hash_file
from archivist.storage.base import BlobStore

BAD_DIGESTS = [
    "",
    "abc",
    "../" * 21 + "e",
    "A" * 64,
    "g" * 64,
    "0" * 63,
    "0" * 65,
    "../../" + "0" * 58,
    "/" + "0" * 63,
    "0" * 62 + "\n",
]


def _read(store: BlobStore, digest: str) -> bytes:
    with store.open(digest) as reader:
        return reader.read()


class BlobStoreContract:
    """Subclass and provide a ``store`` fixture."""

    def test_is_a_blob_store(self, store: BlobStore) -> None:
        assert isinstance(store, BlobStore)

    def test_put_bytes_then_open_returns_the_same_bytes(self, store: BlobStore) -> None:
        data = b"hello world"
        digest = hash_bytes(data)
        store.put_bytes(digest, data)
        assert _read(store, digest) == data

    def test_empty_blob(self, store: BlobStore) -> None:
        digest = hash_bytes(b"")
        store.put_bytes(digest, b"")
        assert _read(store, digest) == b""
        assert store.missing([digest]) == set()

    def test_put_file_stores_a_multi_chunk_file_and_returns_its_size(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        data = bytes(range(256)) * (3 * 4096 + 1)  # a little over 3 MiB: several read chunks
        source = tmp_path / "big.bin"
        source.write_bytes(data)
        digest = hash_bytes(data)
        assert store.put_file(digest, str(source)) == len(data)
        assert _read(store, digest) == data

    def test_storing_a_blob_again_keeps_one_copy(self, store: BlobStore, tmp_path: Path) -> None:
        data = b"stored twice"
        source = tmp_path / "again.bin"
        source.write_bytes(data)
        digest = hash_bytes(data)
        store.put_bytes(digest, data)
        assert store.put_file(digest, str(source)) == len(data)
        store.put_bytes(digest, data)
        assert list(store.iter_digests()) == [digest]
        assert _read(store, digest) == data

    def test_missing_reports_only_absent_digests(self, store: BlobStore) -> None:
        present, absent = hash_bytes(b"present"), hash_bytes(b"absent")
        store.put_bytes(present, b"present")
        assert store.missing([present, absent]) == {absent}
        assert store.missing([]) == set()

    def test_iter_digests_lists_every_blob(self, store: BlobStore) -> None:
        blobs = {hash_bytes(str(i).encode()): str(i).encode() for i in range(20)}
        for digest, data in blobs.items():
            store.put_bytes(digest, data)
        assert set(store.iter_digests()) == set(blobs)

    def test_delete_removes_and_ignores_absent_blobs(self, store: BlobStore) -> None:
        digest = hash_bytes(b"doomed")
        store.put_bytes(digest, b"doomed")
        store.delete(digest)
        store.delete(digest)
        assert store.missing([digest]) == {digest}
        assert digest not in set(store.iter_digests())

    def test_open_of_an_absent_blob_names_the_digest(self, store: BlobStore) -> None:
        digest = hash_bytes(b"never stored")
        with pytest.raises(BlobNotFoundError, match=digest):
            store.open(digest)

    def test_local_path_is_none_or_holds_the_blob(self, store: BlobStore) -> None:
        data = b"local"
        digest = hash_bytes(data)
        assert store.local_path(digest) is None
        store.put_bytes(digest, data)
        path = store.local_path(digest)
        assert path is None or Path(path).read_bytes() == data

    def test_put_bytes_with_a_wrong_digest_stores_nothing(self, store: BlobStore) -> None:
        claimed = hash_bytes(b"what the caller meant")
        with pytest.raises(IntegrityError):
            store.put_bytes(claimed, b"something else")
        assert store.missing([claimed]) == {claimed}
        assert list(store.iter_digests()) == []

    def test_put_file_with_a_wrong_digest_names_the_file_and_stores_nothing(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        source = tmp_path / "data.bin"
        source.write_bytes(b"actual content")
        claimed = hash_bytes(b"other content")
        with pytest.raises(FileChangedError, match=r"data\.bin changed while it was being stored") as info:
            store.put_file(claimed, str(source))
        assert claimed[:12] in str(info.value)
        assert hash_bytes(b"actual content")[:12] in str(info.value)
        assert store.missing([claimed]) == {claimed}
        assert list(store.iter_digests()) == []

    def test_a_file_modified_between_hashing_and_storing_is_detected(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        source = tmp_path / "model.pt"
        source.write_bytes(b"weights after epoch 1")
        digest, _size = hash_file(str(source))
        source.write_bytes(b"weights after epoch 2")  # a training loop overwrote it
        with pytest.raises(FileChangedError, match=r"model\.pt"):
            store.put_file(digest, str(source))
        assert store.missing([digest]) == {digest}

    def test_put_file_of_a_missing_source_is_a_file_not_found_error(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        missing = tmp_path / "nope.bin"
        with pytest.raises(PathNotFoundError, match=r"nope\.bin") as info:
            store.put_file(hash_bytes(b"x"), str(missing))
        assert isinstance(info.value, FileNotFoundError)

    @pytest.mark.parametrize("bad", BAD_DIGESTS)
    def test_malformed_digests_are_refused_by_every_method(
        self, store: BlobStore, tmp_path: Path, bad: str
    ) -> None:
        source = tmp_path / "f.bin"
        source.write_bytes(b"x")
        calls = [
            lambda: store.put_bytes(bad, b"x"),
            lambda: store.put_file(bad, str(source)),
            lambda: store.open(bad),
            lambda: store.local_path(bad),
            lambda: store.delete(bad),
            lambda: store.missing([bad]),
        ]
        for call in calls:
            with pytest.raises(InvalidInputError, match="64 lowercase hex"):
                call()
        assert list(store.iter_digests()) == []

    def test_concurrent_writers_of_the_same_blob_do_not_corrupt_it(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        data = bytes(range(256)) * 8192 + b"tail"  # 2 MiB + 4 bytes
        source = tmp_path / "shared.bin"
        source.write_bytes(data)
        digest = hash_bytes(data)
        start = threading.Barrier(8)

        def write(index: int) -> None:
            start.wait()
            if index % 2:
                store.put_bytes(digest, data)
            else:
                store.put_file(digest, str(source))

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(8)))  # re-raises the first error of any writer
        assert _read(store, digest) == data
        assert list(store.iter_digests()) == [digest]
