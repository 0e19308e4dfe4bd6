"""Link mode of LocalBlobStore.copy_to over packed blobs: the first link extracts each
packed blob once (the destination becomes the store's loose blob), later ones only link;
progress counts the bytes written, never links; a killed extraction leaves no wrong blob."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archivist.core.errors import BlobNotFoundError
from archivist.core.manifest import hash_bytes
from archivist.storage.local import LocalBlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


def _packed(store: LocalBlobStore, count: int, size: int = 3000) -> dict[str, bytes]:
    blobs = {}
    for i in range(count):
        data = (b"%05d" % i) * (size // 5)
        blobs[hash_bytes(data)] = data
    store.put_bytes_many(list(blobs.items()))
    assert all(store.local_path(digest) is None for digest in blobs)  # packed only
    return blobs


def _fan_out_folders(store: LocalBlobStore) -> list[str]:
    return [name for name in os.listdir(store.root) if len(name) == 2]


def _assert_linked(store: LocalBlobStore, items: list[tuple[str, str]], blobs: dict[str, bytes]) -> None:
    for digest, dest in items:
        loose = store.local_path(digest)
        assert loose is not None
        assert os.stat(dest).st_ino == os.stat(loose).st_ino, dest
        assert os.stat(dest).st_mode & 0o222 == 0, dest
        assert Path(dest).read_bytes() == blobs[digest]


def test_first_link_extracts_each_blob_once_and_later_links_write_nothing(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    blobs = _packed(store, 40)
    assert _fan_out_folders(store) == []
    first = tmp_path / "first"
    first.mkdir()
    items = [(digest, str(first / f"f{i}")) for i, digest in enumerate(blobs)]
    twice = next(iter(blobs))
    items.append((twice, str(first / "twice")))
    written: list[int] = []
    store.copy_to(items, link=True, progress=written.append)
    _assert_linked(store, items, blobs)
    assert sorted(written) == sorted(map(len, blobs.values()))  # each blob written once
    assert os.stat(first / "twice").st_nlink == 3  # f0, twice and the store's name

    again = tmp_path / "again"
    again.mkdir()
    later = [(digest, str(again / f"f{i}")) for i, digest in enumerate(blobs)]
    written.clear()
    store.copy_to(later, link=True, progress=written.append)
    _assert_linked(store, later, blobs)
    assert written == []


def test_a_store_with_some_blobs_extracted_links_those_and_extracts_the_rest(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    blobs = _packed(store, 30)
    digests = list(blobs)
    some = tmp_path / "some"
    some.mkdir()
    store.copy_to([(digest, str(some / digest)) for digest in digests[::3]], link=True)
    out = tmp_path / "out"
    out.mkdir()
    items = [(digest, str(out / digest)) for digest in digests]
    written: list[int] = []
    store.copy_to(items, link=True, progress=written.append)
    _assert_linked(store, items, blobs)
    assert sorted(written) == sorted(len(blobs[d]) for i, d in enumerate(digests) if i % 3)


def test_a_missing_destination_folder_is_named_as_such(store: LocalBlobStore, tmp_path: Path) -> None:
    blobs = _packed(store, 2)
    packed, loose = list(blobs)
    store.copy_to([(loose, str(tmp_path / "extracted"))], link=True)
    for digest in (packed, loose):
        with pytest.raises(FileNotFoundError) as raised:
            store.copy_to([(digest, str(tmp_path / "no-such-folder" / "f"))], link=True)
        assert not isinstance(raised.value, BlobNotFoundError)
    assert store.local_path(packed) is None  # nothing half-extracted
    absent = hash_bytes(b"never stored")
    with pytest.raises(BlobNotFoundError, match=absent):
        store.copy_to([(absent, str(tmp_path / "absent"))], link=True)


EXTRACTOR = textwrap.dedent(
    """
    import sys
    from archivist.storage.local import LocalBlobStore
    store = LocalBlobStore(sys.argv[1])
    digests = sorted(store.iter_digests())
    store.copy_to([(digest, f"{sys.argv[2]}/{i}") for i, digest in enumerate(digests)], link=True)
    """
)


@pytest.mark.slow
def test_a_killed_first_link_leaves_no_wrong_loose_blob(store: LocalBlobStore, tmp_path: Path) -> None:
    blobs = _packed(store, 6000, size=8000)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", EXTRACTOR, store.root, str(out)],
        env=env,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(os.listdir(out)) < 50 and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the extraction ended before it could be killed"
    loose = dict(store.iter_blob_entries())
    assert 0 < len(loose) < len(blobs)
    for digest, entry in loose.items():
        assert hash_bytes(Path(entry.path).read_bytes()) == digest
    again = tmp_path / "again"
    again.mkdir()
    items = [(digest, str(again / digest)) for digest in blobs]
    store.copy_to(items, link=True)
    _assert_linked(store, items, blobs)
