"""A folder store never trusts a blob on sight: damaged packs and files are found when a
write meets them and replaced by the next store of their bytes, and copies out of the
store (the embedded store's downloads) verify every byte and name a damaged blob."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archivist.core.errors import DamagedBlobError
from archivist.core.manifest import hash_bytes
from archivist.storage.local import LocalBlobStore
from tests.storage.test_local import overwrite

SMALL = [os.urandom(3000 + i) for i in range(10)]
LARGE = os.urandom(3 << 20)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


def _pack(store: LocalBlobStore) -> Path:
    (pack,) = Path(store.packs_dir).glob("*.pack")
    return pack


def _read(store: LocalBlobStore, digest: str) -> bytes:
    with store.open(digest) as reader:
        return reader.read()


def test_a_pack_cut_short_is_healed_by_the_next_store_of_its_blobs(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    blobs = [(hash_bytes(data), data) for data in SMALL]
    store.put_bytes_many(blobs)
    pack = _pack(store)
    overwrite(pack, pack.read_bytes()[: pack.stat().st_size // 2])
    lost = blobs[-1][0]
    with pytest.raises(DamagedBlobError, match="is damaged") as caught:
        store.copy_to([(lost, str(tmp_path / "out"))])
    assert caught.value.digest == lost
    assert not (tmp_path / "out").exists()
    store.put_bytes_many(blobs)  # the rows past the end are dropped and the blobs packed anew
    assert [_read(store, digest) for digest, _data in blobs] == SMALL
    store.copy_to([(digest, str(tmp_path / f"copy-{i}")) for i, (digest, _data) in enumerate(blobs)])
    assert [(tmp_path / f"copy-{i}").read_bytes() for i in range(len(blobs))] == SMALL


def test_a_packed_blob_with_other_bytes_fails_the_copy_naming_it(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    blobs = [(hash_bytes(data), data) for data in SMALL]
    store.put_bytes_many(blobs)
    pack = _pack(store)
    damaged = bytearray(pack.read_bytes())
    damaged[5] ^= 0xFF  # inside the first blob packed
    overwrite(pack, bytes(damaged))
    wanted = [(digest, str(tmp_path / f"out-{i}")) for i, (digest, _data) in enumerate(blobs)]
    with pytest.raises(DamagedBlobError, match=f"blob {blobs[0][0]} .* is damaged"):
        store.copy_to(wanted)
    assert not (tmp_path / "out-0").exists()


@pytest.mark.parametrize("kept", [0, 1000, len(LARGE) // 2], ids=["emptied", "small-part", "half"])
def test_a_loose_blob_cut_short_fails_the_copy_and_is_healed(
    store: LocalBlobStore, tmp_path: Path, kept: int
) -> None:
    digest = hash_bytes(LARGE)
    store.put_bytes(digest, LARGE)
    overwrite(Path(store.blob_path(digest)), LARGE[:kept])
    with pytest.raises(DamagedBlobError, match=digest):
        store.copy_to([(digest, str(tmp_path / "out"))])
    assert not (tmp_path / "out").exists()
    source = tmp_path / "source.bin"
    source.write_bytes(LARGE)
    store.put_files([(digest, str(source))])
    store.copy_to([(digest, str(tmp_path / "out"))])
    assert (tmp_path / "out").read_bytes() == LARGE


def test_an_emptied_loose_blob_is_refused_by_open(store: LocalBlobStore) -> None:
    digest = hash_bytes(LARGE)
    store.put_bytes(digest, LARGE)
    overwrite(Path(store.blob_path(digest)), b"")
    with pytest.raises(DamagedBlobError, match="0 bytes"):
        store.open(digest)
    assert store.missing([digest]) == {digest}


def test_the_store_sink_replaces_damaged_blobs(store: LocalBlobStore) -> None:
    small = [(hash_bytes(data), data) for data in SMALL]
    large = (hash_bytes(LARGE), LARGE)
    store.put_bytes_many([*small, large])
    overwrite(_pack(store), b"")
    overwrite(Path(store.blob_path(large[0])), LARGE[:10])
    sink = store.open_sink()
    sink.add_many([*small, large])
    sink.close()
    sink.wait()
    assert [_read(store, digest) for digest, _data in small] == SMALL
    assert _read(store, large[0]) == LARGE


def test_the_store_sink_does_not_count_a_damaged_expected_blob_as_held(store: LocalBlobStore) -> None:
    digest = hash_bytes(LARGE)
    store.put_bytes(digest, LARGE)
    overwrite(Path(store.blob_path(digest)), LARGE[:100])
    sink = store.open_sink()
    sink.expect([(digest, len(LARGE))])
    sink.close()
    assert sink.wait() == set()  # so the save stores it again from its file


def test_ingesting_a_file_replaces_a_damaged_blob(store: LocalBlobStore, tmp_path: Path) -> None:
    digest = hash_bytes(LARGE)
    store.put_bytes(digest, LARGE)
    overwrite(Path(store.blob_path(digest)), LARGE[:100])
    source = tmp_path / "source.bin"
    source.write_bytes(LARGE)
    assert store.ingest_file(str(source)) == (digest, len(LARGE))
    assert _read(store, digest) == LARGE
