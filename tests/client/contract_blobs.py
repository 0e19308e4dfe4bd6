"""Backend contract: moving blob bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from archivist.client.backend import Backend
from archivist.core.errors import BlobNotFoundError, FileChangedError, IntegrityError, InvalidInputError
from archivist.core.manifest import hash_bytes


class BlobContract:
    def test_missing_blobs_answers_in_order(self, backend: Backend) -> None:
        present, absent = b"present", b"absent"
        backend.upload_bytes(hash_bytes(present), present)
        asked = [hash_bytes(absent), hash_bytes(present), hash_bytes(b"other"), hash_bytes(absent)]
        assert backend.missing_blobs(asked) == [hash_bytes(absent), hash_bytes(b"other")]
        assert backend.missing_blobs([]) == []
        with pytest.raises(InvalidInputError, match="not-a-digest"):
            backend.missing_blobs(["not-a-digest"])

    def test_upload_files_reports_progress(self, backend: Backend, tmp_path: Path) -> None:
        files = []
        for name, data in (("a", b"x" * 1000), ("b", b"y" * 24)):
            (tmp_path / name).write_bytes(data)
            files.append((hash_bytes(data), str(tmp_path / name)))
        seen: list[int] = []
        backend.upload_files(files, seen.append)
        assert sum(seen) == 1024
        assert backend.missing_blobs([digest for digest, _ in files]) == []
        assert backend.read_bytes(files[1][0]) == b"y" * 24

    def test_upload_of_a_changed_file_stores_nothing(self, backend: Backend, tmp_path: Path) -> None:
        path = tmp_path / "f"
        path.write_bytes(b"now different")
        digest = hash_bytes(b"as it was hashed")
        with pytest.raises(FileChangedError, match=str(path)):
            backend.upload_files([(digest, str(path))])
        assert backend.missing_blobs([digest]) == [digest]

    def test_upload_bytes_verifies_the_digest(self, backend: Backend) -> None:
        with pytest.raises(IntegrityError):
            backend.upload_bytes(hash_bytes(b"a"), b"b")
        assert backend.missing_blobs([hash_bytes(b"a")]) == [hash_bytes(b"a")]

    def test_download_blob(self, backend: Backend, tmp_path: Path) -> None:
        data = bytes(range(256)) * 5000
        backend.upload_bytes(hash_bytes(data), data)
        seen: list[int] = []
        backend.download_blob(hash_bytes(data), str(tmp_path / "out"), seen.append)
        assert (tmp_path / "out").read_bytes() == data and sum(seen) == len(data)
        backend.download_blob(hash_bytes(data), str(tmp_path / "again"))
        assert (tmp_path / "again").read_bytes() == data

    def test_download_blobs_writes_each_destination(self, backend: Backend, tmp_path: Path) -> None:
        blobs = [bytes([i]) * (i * 300) for i in range(12)]
        for data in blobs:
            backend.upload_bytes(hash_bytes(data), data)
        items = [(hash_bytes(data), str(tmp_path / f"out-{i}")) for i, data in enumerate(blobs)]
        items.append((hash_bytes(blobs[5]), str(tmp_path / "same-blob-again")))
        seen: list[int] = []
        backend.download_blobs(items, seen.append)
        assert [(tmp_path / f"out-{i}").read_bytes() for i in range(12)] == blobs
        assert (tmp_path / "same-blob-again").read_bytes() == blobs[5]
        assert sum(seen) >= sum(map(len, blobs))
        backend.download_blobs([])
        with pytest.raises(BlobNotFoundError):
            backend.download_blobs([(hash_bytes(b"absent"), str(tmp_path / "absent"))])

    def test_missing_blob_reads(self, backend: Backend, tmp_path: Path) -> None:
        absent = hash_bytes(b"absent")
        with pytest.raises(BlobNotFoundError):
            backend.read_bytes(absent)
        with pytest.raises(BlobNotFoundError):
            backend.download_blob(absent, str(tmp_path / "out"))

    def test_local_blob_path_is_none_or_holds_the_bytes(self, backend: Backend) -> None:
        backend.upload_bytes(hash_bytes(b"abc"), b"abc")
        path = backend.local_blob_path(hash_bytes(b"abc"))
        assert path is None or Path(path).read_bytes() == b"abc"

    def test_download_blobs_in_link_mode(self, backend: Backend, tmp_path: Path) -> None:
        """Local blobs become read-only hard links; a remote backend writes the bytes."""
        blobs = [b"small", bytes(range(256)) * 2048]
        for data in blobs:
            backend.upload_bytes(hash_bytes(data), data)
        items = [(hash_bytes(data), str(tmp_path / f"out-{i}")) for i, data in enumerate(blobs)]
        backend.download_blobs(items, link=True)
        for (digest, dest), data in zip(items, blobs, strict=True):
            assert Path(dest).read_bytes() == data
            stored = backend.local_blob_path(digest)
            assert stored is not None or not backend.blobs_are_local
            if stored is not None:  # a store on this machine: a packed blob was extracted for the link
                assert Path(stored).stat().st_ino == Path(dest).stat().st_ino
                assert Path(dest).stat().st_mode & 0o222 == 0
            else:
                assert Path(dest).stat().st_nlink == 1

    def test_download_blobs_never_writes_through_an_existing_file(
        self, backend: Backend, tmp_path: Path
    ) -> None:
        if not backend.blobs_are_local:
            pytest.skip("a remote backend writes to paths the SDK makes fresh for it")
        data = b"stored"
        backend.upload_bytes(hash_bytes(data), data)
        (tmp_path / "victim").write_bytes(b"keep")
        (tmp_path / "dest").hardlink_to(tmp_path / "victim")
        with pytest.raises(FileExistsError, match="dest"):
            backend.download_blobs([(hash_bytes(data), str(tmp_path / "dest"))])
        assert (tmp_path / "victim").read_bytes() == b"keep"
