"""The behaviour every BlobStore must have (the fsspec pattern).

An implementation's test module subclasses ``BlobStoreContract`` and provides a
``store`` fixture, and a ``damage`` fixture: ``damage(digest, data)`` replaces what the
store holds as blob ``digest`` (held loose: the blobs of the damage tests are larger
than a folder store packs) with ``data``, behind the store's back, as a disk fault or a
power cut would; every test here then runs against it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archivist.client.transfer.hashing import hash_file
from archivist.core.errors import (
    BlobNotFoundError,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
)
from archivist.core.manifest import hash_bytes
from archivist.storage.base import BlobStore
from tests.storage.server_paths_contract import ServerPathsContract

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


Damage = Callable[[str, bytes], None]
DAMAGE_TEST_BYTES = bytes(range(256)) * 1200  # 300 KiB: stored as a blob of its own everywhere
RESTORE_WAYS = ["put_bytes", "put_file", "put_files", "put_files_held", "put_bytes_many"]


def _read(store: BlobStore, digest: str) -> bytes:
    with store.open(digest) as reader:
        return reader.read()


class BlobStoreContract(ServerPathsContract):
    """Subclass and provide a ``store`` fixture (the server's byte paths: ``ServerPathsContract``)."""

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

    def test_sizes_names_held_blobs_only(self, store: BlobStore) -> None:
        small, large, absent = b"small", b"L" * (300 * 1024), hash_bytes(b"absent")
        store.put_bytes(hash_bytes(small), small)
        store.put_bytes(hash_bytes(large), large)
        asked = [hash_bytes(small), hash_bytes(large), absent]
        assert store.sizes(asked) == {hash_bytes(small): 5, hash_bytes(large): len(large)}
        assert store.sizes([]) == {}

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

    # --- batches -------------------------------------------------------------------------------
    def test_put_files_stores_a_batch_and_reports_every_size(self, store: BlobStore, tmp_path: Path) -> None:
        blobs = _files(tmp_path, {f"f{i}": b"%d" % i * (i + 1) for i in range(30)})
        blobs.append(_file(tmp_path, "large.bin", bytes(range(256)) * 1200))  # 300 KiB: not packed
        already = _file(tmp_path, "already.bin", b"held before")
        store.put_bytes(already[0], b"held before")
        seen: list[int] = []
        store.put_files([(digest, path) for digest, path, _data in [*blobs, already]], seen.append)
        assert sorted(seen) == sorted(len(data) for _digest, _path, data in [*blobs, already])
        assert store.missing(digest for digest, _path, _data in blobs) == set()
        assert all(_read(store, digest) == data for digest, _path, data in blobs)
        assert sorted(store.iter_digests()) == sorted({d for d, _p, _b in [*blobs, already]})

    def test_a_changed_file_fails_alone_and_the_rest_of_the_batch_is_stored(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        good = _files(tmp_path, {"a.txt": b"alpha", "c.txt": b"gamma"})
        changed = tmp_path / "b.txt"
        changed.write_bytes(b"beta, edited after hashing")
        claimed = hash_bytes(b"beta")
        items = [(good[0][0], good[0][1]), (claimed, str(changed)), (good[1][0], good[1][1])]
        with pytest.raises(FileChangedError, match=r"b\.txt changed while it was being stored"):
            store.put_files(items)
        assert store.missing([claimed, good[0][0], good[1][0]]) == {claimed}
        assert _read(store, good[1][0]) == b"gamma"

    def test_put_files_counts_the_other_failures_of_a_batch(self, store: BlobStore, tmp_path: Path) -> None:
        items = [(hash_bytes(b"x%d" % i), str(tmp_path / f"absent{i}")) for i in range(3)]
        with pytest.raises(PathNotFoundError, match=r"absent0.*2 more blob\(s\) of this batch failed"):
            store.put_files(items)

    def test_put_files_takes_held_bytes_without_reading_the_file_but_verifies_them(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        data = b"already read by the caller"
        digest = hash_bytes(data)
        store.put_files([(digest, str(tmp_path / "gone-since"))], held={digest: data})
        assert _read(store, digest) == data
        wrong = hash_bytes(b"what the file held")
        with pytest.raises(IntegrityError, match="gone-since"):
            store.put_files([(wrong, str(tmp_path / "gone-since"))], held={wrong: b"other bytes"})
        assert store.missing([wrong]) == {wrong}

    def test_put_bytes_many_stores_the_good_blobs_of_a_batch(self, store: BlobStore) -> None:
        good = [(hash_bytes(b"one"), b"one"), (hash_bytes(b"two"), b"two")]
        bad = (hash_bytes(b"claimed"), b"actual")
        seen: list[int] = []
        with pytest.raises(IntegrityError, match=bad[0][:12]):
            store.put_bytes_many([good[0], bad, good[1], good[0]], seen.append)
        assert sorted(seen) == [3, 3]
        assert store.missing([good[0][0], good[1][0], bad[0]]) == {bad[0]}
        assert _read(store, good[1][0]) == b"two"

    def test_copy_to_writes_every_destination_whole(self, store: BlobStore, tmp_path: Path) -> None:
        blobs = [bytes([i]) * (i * 700) for i in range(8)] + [bytes(range(256)) * 1200]
        store.put_bytes_many([(hash_bytes(data), data) for data in blobs[:4]])
        for data in blobs[4:]:
            store.put_bytes(hash_bytes(data), data)
        out = tmp_path / "out"
        out.mkdir()
        items = [(hash_bytes(data), str(out / f"f{i}")) for i, data in enumerate(blobs)]
        items.append((hash_bytes(blobs[2]), str(out / "same-again")))
        seen: list[int] = []
        store.copy_to(items, progress=seen.append)
        assert [(out / f"f{i}").read_bytes() for i in range(len(blobs))] == blobs
        assert (out / "same-again").read_bytes() == blobs[2]
        assert sum(seen) == sum(map(len, blobs)) + len(blobs[2])
        store.copy_to([])

    def test_copy_to_never_overwrites_a_destination(self, store: BlobStore, tmp_path: Path) -> None:
        store.put_bytes_many([(hash_bytes(b"new"), b"new")])
        existing = tmp_path / "existing"
        existing.write_bytes(b"the user's file")
        for link in (False, True):
            with pytest.raises(FileExistsError, match="existing"):
                store.copy_to([(hash_bytes(b"new"), str(existing))], link=link)
        assert existing.read_bytes() == b"the user's file"

    def test_copy_to_of_an_absent_blob_creates_no_file(self, store: BlobStore, tmp_path: Path) -> None:
        absent = hash_bytes(b"never stored")
        for link in (False, True):
            with pytest.raises(BlobNotFoundError, match=absent):
                store.copy_to([(absent, str(tmp_path / "absent"))], link=link)
            assert not (tmp_path / "absent").exists()

    def test_copy_to_with_link_gives_the_bytes(self, store: BlobStore, tmp_path: Path) -> None:
        blobs = [b"linked %d" % i for i in range(5)]
        store.put_bytes_many([(hash_bytes(data), data) for data in blobs])
        store.copy_to(
            [(hash_bytes(data), str(tmp_path / f"l{i}")) for i, data in enumerate(blobs)], link=True
        )
        assert [(tmp_path / f"l{i}").read_bytes() for i in range(5)] == blobs

    # --- damaged blobs: found, never trusted on sight, replaced by the next store of their bytes
    def test_missing_counts_a_damaged_blob_as_missing(self, store: BlobStore, damage: Damage) -> None:
        data = DAMAGE_TEST_BYTES
        digest = hash_bytes(data)
        store.put_bytes(digest, data)
        assert store.missing([digest]) == set()
        assert store.missing([digest], {digest: len(data)}) == set()
        assert store.missing([digest], {digest: len(data) + 1}) == {digest}  # not the caller's size
        damage(digest, b"")  # 0 bytes: only the empty blob has none
        assert store.missing([digest]) == {digest}
        empty = hash_bytes(b"")
        store.put_bytes(empty, b"")
        assert store.missing([empty]) == set()

    @pytest.mark.parametrize("way", RESTORE_WAYS)
    def test_storing_the_bytes_again_replaces_a_damaged_blob(
        self, store: BlobStore, damage: Damage, tmp_path: Path, way: str
    ) -> None:
        data = DAMAGE_TEST_BYTES
        digest = hash_bytes(data)
        source = tmp_path / "source.bin"
        source.write_bytes(data)
        store.put_bytes(digest, data)
        damage(digest, data[: len(data) // 3])  # truncated, as by a power cut
        restore = {
            "put_bytes": lambda: store.put_bytes(digest, data),
            "put_file": lambda: store.put_file(digest, str(source)),
            "put_files": lambda: store.put_files([(digest, str(source))]),
            "put_files_held": lambda: store.put_files([(digest, str(source))], held={digest: data}),
            "put_bytes_many": lambda: store.put_bytes_many([(digest, data)]),
        }
        restore[way]()
        assert _read(store, digest) == data
        assert store.missing([digest], {digest: len(data)}) == set()

    def test_a_file_that_changed_does_not_replace_a_blob_of_another_size(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        data = DAMAGE_TEST_BYTES
        digest = hash_bytes(data)
        store.put_bytes(digest, data)
        changed = tmp_path / "changed.bin"
        changed.write_bytes(data + b"appended since it was hashed")
        assert store.put_file(digest, str(changed)) == len(data)  # the stored copy stays
        store.put_files([(digest, str(changed))])
        assert _read(store, digest) == data

    @pytest.mark.parametrize("bad", BAD_DIGESTS[:4])
    def test_malformed_digests_are_refused_by_the_batch_methods(
        self, store: BlobStore, tmp_path: Path, bad: str
    ) -> None:
        for call in (
            lambda: store.put_files([(bad, str(tmp_path / "f"))]),
            lambda: store.put_bytes_many([(bad, b"x")]),
            lambda: store.copy_to([(bad, str(tmp_path / "out"))]),
        ):
            with pytest.raises(InvalidInputError, match="64 lowercase hex"):
                call()
        assert list(store.iter_digests()) == []


def _file(tmp_path: Path, name: str, data: bytes) -> tuple[str, str, bytes]:
    path = tmp_path / name
    path.write_bytes(data)
    return hash_bytes(data), str(path), data


def _files(tmp_path: Path, files: dict[str, bytes]) -> list[tuple[str, str, bytes]]:
    return [_file(tmp_path, name, data) for name, data in files.items()]
