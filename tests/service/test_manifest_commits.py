"""A commit checks its manifest by streaming it: large manifests are read in blocks, damaged
or malformed ones are refused with the reason, version 1 manifests still commit."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import BinaryIO

import pytest

from archivist.core.errors import BlobNotFoundError, IntegrityError, InvalidInputError
from archivist.core.manifest import Entry, Manifest, ManifestSummary, hash_bytes
from archivist.core.manifest_format import HEADER_LINE, encode_entry
from archivist.core.models import CommitRequest, VersionQuery
from archivist.metadata.migrate import open_engine
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore


class _RecordingReader:
    """A blob reader that remembers how much each ``read`` asked for."""

    def __init__(self, inner: BinaryIO, requests: list[int]) -> None:
        self._inner, self._requests = inner, requests

    def read(self, size: int = -1) -> bytes:
        self._requests.append(size)
        return self._inner.read(size)

    def __enter__(self) -> _RecordingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()


class RecordingStore(LocalBlobStore):
    """A real folder store that records the read sizes asked of the blobs it opens."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.requests: list[int] = []

    def open(self, digest: str) -> BinaryIO:
        return _RecordingReader(super().open(digest), self.requests)  # type: ignore[return-value]


@pytest.fixture
def recording(tmp_path: Path) -> tuple[Service, RecordingStore]:
    store = RecordingStore(str(tmp_path / "blobs"))
    service = Service(open_engine(f"sqlite:///{tmp_path}/meta.sqlite"), store)
    yield service, store
    service.close()


def _commit(service: Service, name: str, data: bytes, digest: str) -> object:
    service.upload_bytes(hash_bytes(data), data)
    return service.commit_version(CommitRequest("local", "p", name, "dataset", digest, hash_bytes(data)))


def test_a_large_manifest_is_checked_in_blocks(recording: tuple[Service, RecordingStore]) -> None:
    service, store = recording
    blob = b"stored"
    service.upload_bytes(hash_bytes(blob), blob)
    entries = [
        Entry(f"refs/{i:06d}", f"etag-{i}", i % 7, ref=f"s3://bucket/a/longer/key/{i}") for i in range(50_000)
    ]
    manifest = Manifest([*entries, Entry("stored.txt", hash_bytes(blob), len(blob))])
    data = manifest.to_bytes()
    assert len(data) > 4 << 20
    result = _commit(service, "big", data, manifest.digest())
    assert (result.version.file_count, result.version.size) == (50_001, manifest.size)  # type: ignore[attr-defined]
    assert store.requests and all(0 < size <= 4 << 20 for size in store.requests)  # never read whole


def test_a_damaged_manifest_is_refused_as_damaged(recording: tuple[Service, RecordingStore]) -> None:
    service, store = recording
    manifest = Manifest([Entry(f"r/{i}", "etag", 1, ref=f"s3://b/{i}") for i in range(100)])
    data = manifest.to_bytes()
    digest = hash_bytes(data)
    service.upload_bytes(digest, data)
    path = store.local_path(digest)
    assert path is not None
    os.chmod(path, 0o644)
    with open(path, "r+b") as handle:  # a disk error: one line's bytes are now garbage
        handle.seek(len(data) // 2)
        handle.write(b"\x00\x00\x00")
    with pytest.raises(IntegrityError, match="does not match its digest"):
        service.commit_version(CommitRequest("local", "p", "d", "dataset", manifest.digest(), digest))


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    service = Service(open_engine(f"sqlite:///{tmp_path}/meta.sqlite"), LocalBlobStore(str(tmp_path / "b")))
    lines = [encode_entry(Entry(f"r/{i:03d}", "etag", 1, ref="s3://b/x")) for i in range(10)]
    lines[4] = '{"path": "r/004", "digest": "etag", "size": -5, "ref": "s3://b/x"}\n'
    data = HEADER_LINE + "".join(lines).encode()
    with pytest.raises(IntegrityError, match="manifest line 6: entry 'r/004' has an invalid size"):
        _commit(service, "d", data, hash_bytes(b"anything"))
    escaping = HEADER_LINE + encode_entry(Entry("../../etc/passwd", "e", 1, ref="s3://b/x")).encode()
    with pytest.raises(InvalidInputError, match="line 2"):
        _commit(service, "d", escaping, hash_bytes(b"anything"))
    service.close()


def test_a_version_1_manifest_still_commits(tmp_path: Path) -> None:
    service = Service(open_engine(f"sqlite:///{tmp_path}/meta.sqlite"), LocalBlobStore(str(tmp_path / "b")))
    blob = b"hello"
    service.upload_bytes(hash_bytes(blob), blob)
    manifest = Manifest([Entry("b.txt", hash_bytes(blob), 5), Entry("a.csv", "etag", 3, ref="s3://b/a")])
    data = json.dumps(manifest.to_json_document(), indent=2).encode()
    result = _commit(service, "old", data, manifest.digest())
    assert (result.version.file_count, result.version.size) == (2, 8)  # type: ignore[attr-defined]
    service.close()


def test_a_missing_blob_is_named_by_its_path(recording: tuple[Service, RecordingStore]) -> None:
    service, _store = recording
    absent = Entry("deep/absent.bin", hash_bytes(b"never uploaded"), 14)
    refs = [Entry(f"r/{i:05d}", "etag", 1, ref="s3://b/x") for i in range(30_000)]
    manifest = Manifest([*refs, absent])
    with pytest.raises(BlobNotFoundError, match=r"1 blob\(s\) are missing .* \('deep/absent.bin'\)"):
        _commit(service, "d", manifest.to_bytes(), manifest.digest())


def _noted_commit(service: Service, manifest: Manifest, noted: ManifestSummary) -> object:
    data = manifest.to_bytes()
    service.upload_bytes(hash_bytes(data), data)
    service.note_manifest(hash_bytes(data), noted)
    return service.commit_version(
        CommitRequest("local", "p", "noted", "dataset", manifest.digest(), hash_bytes(data))
    )


def test_a_manifest_noted_by_this_process_commits_without_being_read_back(
    recording: tuple[Service, RecordingStore],
) -> None:
    service, store = recording
    blob = b"stored"
    service.upload_bytes(hash_bytes(blob), blob)
    manifest = Manifest([Entry("a.txt", hash_bytes(blob), 6), Entry("r.csv", "etag", 3, ref="s3://b/r")])
    result = _noted_commit(service, manifest, ManifestSummary.of(manifest, manifest.digest()))
    assert (result.version.file_count, result.version.size) == (2, 9)  # type: ignore[attr-defined]
    assert store.requests == []  # neither the manifest nor a blob was opened
    again = _commit(service, "noted-again", manifest.to_bytes(), manifest.digest())  # not noted: read
    assert again.created and store.requests  # type: ignore[attr-defined]


def test_a_noted_summary_of_other_content_is_refused(recording: tuple[Service, RecordingStore]) -> None:
    service, _store = recording
    manifest = Manifest([Entry("r.csv", "etag", 3, ref="s3://b/r")])
    other = Manifest([Entry("s.csv", "etag", 3, ref="s3://b/s")])
    with pytest.raises(IntegrityError, match="does not match its manifest"):
        _noted_commit(service, manifest, ManifestSummary.of(other, other.digest()))


def test_a_noted_manifest_still_needs_every_blob_in_the_store(
    recording: tuple[Service, RecordingStore],
) -> None:
    service, _store = recording
    manifest = Manifest([Entry("absent.bin", hash_bytes(b"never uploaded"), 14)])
    with pytest.raises(BlobNotFoundError, match="1 blob"):
        _noted_commit(service, manifest, ManifestSummary.of(manifest, manifest.digest()))
    assert service.list_versions(VersionQuery("local", "p", "noted")) == []


class CountingStore(LocalBlobStore):
    """A real folder store that records which digests ``sizes`` was asked about."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.asked: list[set[str]] = []

    def sizes(self, digests: object) -> dict[str, int]:
        wanted = set(digests)  # type: ignore[call-overload]
        self.asked.append(wanted)
        return super().sizes(wanted)


def test_a_new_version_asks_the_store_only_about_blobs_the_newest_version_lacks(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path / "blobs"))
    service = Service(open_engine(f"sqlite:///{tmp_path}/meta.sqlite"), store)
    kept, added = [f"kept {i}".encode() for i in range(5)], b"added"
    for blob in [*kept, added]:
        service.upload_bytes(hash_bytes(blob), blob)
    first = Manifest([Entry(f"k{i}", hash_bytes(blob), len(blob)) for i, blob in enumerate(kept)])
    _commit(service, "grow", first.to_bytes(), first.digest())
    second = Manifest([*first, Entry("added", hash_bytes(added), len(added))])
    store.asked.clear()
    assert _commit(service, "grow", second.to_bytes(), second.digest()).created  # type: ignore[attr-defined]
    # Presence: only the blob the newest version lacks, and the manifest; then the sizes the
    # manifest claims for the others (a stored manifest's claims are all checked).
    assert store.asked == [{hash_bytes(added), hash_bytes(second.to_bytes())}, {hash_bytes(b) for b in kept}]
    absent = Entry("absent", hash_bytes(b"never uploaded"), 14)
    third = Manifest([*second, absent])
    with pytest.raises(BlobNotFoundError, match=r"1 blob\(s\) are missing .* \('absent'\)"):
        _commit(service, "grow", third.to_bytes(), third.digest())
    service.close()
