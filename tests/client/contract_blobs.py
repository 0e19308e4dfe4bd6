"""BlobTransfer contract: moving blob bytes, one suite every transfer passes (the embedded
store's, over SQLite or PostgreSQL, and a server's over HTTP). Subclass
``BlobTransferContract`` and provide a ``transfer`` fixture over an empty store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archivist.core.blob_transfer import BlobTransfer
from archivist.core.errors import BlobNotFoundError, FileChangedError, IntegrityError, InvalidInputError
from archivist.core.manifest import Entry, hash_bytes


def _entries(blobs: list[bytes], tmp_path: Path) -> tuple[list[Entry], dict[str, str]]:
    entries = [Entry(f"out-{i}", hash_bytes(data), len(data)) for i, data in enumerate(blobs)]
    return entries, {entry.path: str(tmp_path / entry.path) for entry in entries}


class BlobTransferContract:
    def test_is_a_blob_transfer(self, transfer: BlobTransfer) -> None:
        assert isinstance(transfer, BlobTransfer)

    def test_missing_blobs_answers_in_order(self, transfer: BlobTransfer) -> None:
        present, absent = b"present", b"absent"
        transfer.upload_bytes(hash_bytes(present), present)
        asked = [hash_bytes(absent), hash_bytes(present), hash_bytes(b"other"), hash_bytes(absent)]
        assert transfer.missing_blobs(asked) == [hash_bytes(absent), hash_bytes(b"other")]
        assert transfer.missing_blobs([]) == []
        with pytest.raises(InvalidInputError, match="not-a-digest"):
            transfer.missing_blobs(["not-a-digest"])

    def test_upload_files_reports_progress(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        files = []
        for name, data in (("a", b"x" * 1000), ("b", b"y" * 24)):
            (tmp_path / name).write_bytes(data)
            files.append((hash_bytes(data), str(tmp_path / name)))
        seen: list[int] = []
        transfer.upload_files(files, seen.append)
        assert sum(seen) == 1024
        assert transfer.missing_blobs([digest for digest, _ in files]) == []
        assert transfer.read_bytes(files[1][0]) == b"y" * 24

    def test_upload_files_sends_held_bytes(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        data = b"read and hashed already"
        transfer.upload_files([(hash_bytes(data), str(tmp_path / "gone"))], held={hash_bytes(data): data})
        assert transfer.read_bytes(hash_bytes(data)) == data

    def test_upload_of_a_changed_file_stores_nothing(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        path = tmp_path / "f"
        path.write_bytes(b"now different")
        digest = hash_bytes(b"as it was hashed")
        with pytest.raises(FileChangedError, match=str(path)):
            transfer.upload_files([(digest, str(path))])
        assert transfer.missing_blobs([digest]) == [digest]

    def test_upload_bytes_verifies_the_digest(self, transfer: BlobTransfer) -> None:
        with pytest.raises(IntegrityError):
            transfer.upload_bytes(hash_bytes(b"a"), b"b")
        assert transfer.missing_blobs([hash_bytes(b"a")]) == [hash_bytes(b"a")]

    def test_blobs_to_send(self, transfer: BlobTransfer) -> None:
        """Never one the store holds without a file; every one it lacks."""
        held, lacked, with_file = b"held", b"lacked", b"with a file"
        transfer.upload_bytes(hash_bytes(held), held)
        wanted = {hash_bytes(held), hash_bytes(lacked), hash_bytes(with_file)}
        send = transfer.blobs_to_send(wanted, [hash_bytes(with_file)], set())
        assert sorted(send) == sorted([hash_bytes(lacked), hash_bytes(with_file)])

    def test_ingest_file_hashes_it(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        data = os.urandom(3 << 20)
        (tmp_path / "big").write_bytes(data)
        assert transfer.ingest_file(str(tmp_path / "big")) == (hash_bytes(data), len(data))

    def test_ingest_file_keeps_the_bytes_it_hashed(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        """What was ingested is what is stored, however the file changes afterwards."""
        added = os.urandom(3 << 20)
        (tmp_path / "model.pt").write_bytes(added)
        digest, size = transfer.ingest_file(str(tmp_path / "model.pt"))
        (tmp_path / "model.pt").write_bytes(b"overwritten by the next epoch")
        transfer.upload_files([(digest, str(tmp_path / "model.pt"))])
        assert transfer.read_bytes(digest) == added and size == len(added)
        ingested = tmp_path / "tmp" / "gone.bin"
        ingested.parent.mkdir()
        ingested.write_bytes(added[::-1])
        digest, _size = transfer.ingest_file(str(ingested))
        ingested.unlink()  # a temporary folder removed before the upload
        transfer.upload_files([(digest, str(ingested))])
        assert transfer.read_bytes(digest) == added[::-1]

    def test_not_held_here_names_what_no_store_here_keeps(
        self, transfer: BlobTransfer, tmp_path: Path
    ) -> None:
        kept, stored, absent = os.urandom(2 << 20), os.urandom(100), os.urandom(100)
        (tmp_path / "kept").write_bytes(kept)
        kept_digest, _size = transfer.ingest_file(str(tmp_path / "kept"))
        transfer.upload_bytes(hash_bytes(stored), stored)
        asked = [hash_bytes(absent), kept_digest, hash_bytes(stored)]
        assert transfer.not_held_here(asked) == [hash_bytes(absent)]
        assert transfer.not_held_here([]) == []
        with pytest.raises(InvalidInputError, match="not-a-digest"):
            transfer.not_held_here(["not-a-digest"])

    def test_a_sink_keeps_what_it_is_given(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        """Small and larger blobs given to a sink are sent as given, with their files gone."""
        blobs = [os.urandom(size) for size in (100, 300 << 10, 900 << 10)]
        sink = transfer.open_sink()
        sink.add_many([(hash_bytes(data), data) for data in blobs])
        sink.close()
        stored = sink.wait()
        wanted = {hash_bytes(data) for data in blobs}
        gone = {hash_bytes(data): str(tmp_path / f"gone-{i}") for i, data in enumerate(blobs)}
        send = transfer.blobs_to_send(wanted, list(gone), stored)
        transfer.upload_files([(digest, gone[digest]) for digest in send])
        assert [transfer.read_bytes(hash_bytes(data)) for data in blobs] == blobs

    def test_a_sink_makes_sure_only_of_what_a_save_need_not_send(
        self, transfer: BlobTransfer, tmp_path: Path
    ) -> None:
        blobs = [bytes([i]) * 100 for i in range(5)]
        sink = transfer.open_sink()
        sink.add_many([(hash_bytes(data), data) for data in blobs])
        sink.close()
        stored = sink.wait()
        wanted = {hash_bytes(data) for data in blobs}
        assert stored <= wanted
        paths = {hash_bytes(data): str(tmp_path / f"f{i}") for i, data in enumerate(blobs)}
        for i, data in enumerate(blobs):
            (tmp_path / f"f{i}").write_bytes(data)
        send = transfer.blobs_to_send(wanted, list(paths), stored)
        transfer.upload_files([(digest, paths[digest]) for digest in send])
        assert transfer.missing_blobs(sorted(wanted)) == []

    def test_upload_manifest(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        from archivist.core.manifest import Manifest, ManifestSummary

        manifest = Manifest([Entry("a.txt", hash_bytes(b"a"), 1)])
        data = manifest.to_bytes()
        transfer.upload_manifest(hash_bytes(data), data, ManifestSummary.of(manifest, manifest.digest()))
        assert transfer.read_bytes(hash_bytes(data)) == data
        other = Manifest([Entry("b.txt", hash_bytes(b"b"), 1)])
        (tmp_path / "spilled").write_bytes(other.to_bytes())
        digest = hash_bytes(other.to_bytes())
        transfer.upload_manifest(digest, str(tmp_path / "spilled"), ManifestSummary.of(other, other.digest()))
        with transfer.open_blob(digest) as reader:
            assert reader.read() == other.to_bytes()

    def test_download_blob(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        data = bytes(range(256)) * 5000
        transfer.upload_bytes(hash_bytes(data), data)
        seen: list[int] = []
        transfer.download_blob(hash_bytes(data), str(tmp_path / "out"), seen.append)
        assert (tmp_path / "out").read_bytes() == data and sum(seen) == len(data)
        transfer.download_blob(hash_bytes(data), str(tmp_path / "again"))
        assert (tmp_path / "again").read_bytes() == data

    def test_place_blobs_writes_each_destination(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        blobs = [bytes([i]) * (i * 300) for i in range(12)]
        for data in blobs:
            transfer.upload_bytes(hash_bytes(data), data)
        entries, dests = _entries(blobs, tmp_path)
        entries.append(Entry("same-blob-again", hash_bytes(blobs[5]), len(blobs[5])))
        dests["same-blob-again"] = str(tmp_path / "same-blob-again")
        seen: list[int] = []
        transfer.place_blobs(entries, dests, seen.append)
        assert [(tmp_path / f"out-{i}").read_bytes() for i in range(12)] == blobs
        assert (tmp_path / "same-blob-again").read_bytes() == blobs[5]
        assert sum(seen) == sum(entry.size for entry in entries)
        transfer.place_blobs([], {}, seen.append)
        absent = Entry("absent", hash_bytes(b"absent"), 6)
        with pytest.raises(BlobNotFoundError):
            transfer.place_blobs([absent], {"absent": str(tmp_path / "absent")}, seen.append)

    def test_missing_blob_reads(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        absent = hash_bytes(b"absent")
        with pytest.raises(BlobNotFoundError):
            transfer.read_bytes(absent)
        with pytest.raises(BlobNotFoundError):
            transfer.download_blob(absent, str(tmp_path / "out"))
        with pytest.raises(BlobNotFoundError), transfer.open_blob(absent):
            pass

    def test_open_blob_reads_the_bytes(self, transfer: BlobTransfer) -> None:
        data = bytes(range(256)) * 4096
        transfer.upload_bytes(hash_bytes(data), data)
        with transfer.open_blob(hash_bytes(data)) as reader:
            assert reader.read() == data

    def test_place_blobs_in_link_mode(self, transfer: BlobTransfer, tmp_path: Path) -> None:
        """Each file is a read-only hard link to a blob file on this machine (the store's,
        or the client cache's for a server)."""
        blobs = [b"small", bytes(range(256)) * 2048]
        for data in blobs:
            transfer.upload_bytes(hash_bytes(data), data)
        entries, dests = _entries(blobs, tmp_path)
        transfer.place_blobs(entries, dests, lambda _n: None, link=True)
        for entry, data in zip(entries, blobs, strict=True):
            dest = Path(dests[entry.path])
            assert dest.read_bytes() == data
            assert dest.stat().st_nlink >= 2 and dest.stat().st_mode & 0o222 == 0

    def test_place_blobs_never_writes_through_an_existing_file(
        self, transfer: BlobTransfer, tmp_path: Path
    ) -> None:
        """A file another process created meanwhile is replaced, never written through."""
        data = b"stored"
        transfer.upload_bytes(hash_bytes(data), data)
        (tmp_path / "victim").write_bytes(b"keep")
        (tmp_path / "dest").hardlink_to(tmp_path / "victim")
        transfer.place_blobs(
            [Entry("dest", hash_bytes(data), len(data))], {"dest": str(tmp_path / "dest")}, lambda _n: None
        )
        assert (tmp_path / "victim").read_bytes() == b"keep"
        assert (tmp_path / "dest").read_bytes() == data
