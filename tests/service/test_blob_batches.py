"""The Service moves many blobs in one store call: uploads are packed together, downloads
are written (or hard-linked) straight to new files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archivist.core.errors import FileChangedError
from archivist.core.manifest import hash_bytes
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore


@pytest.fixture
def service(sqlite_service: Service) -> Service:
    return sqlite_service


def _files(folder: Path, count: int) -> dict[str, tuple[str, bytes]]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for i in range(count):
        data = b"file %d " % i * (i + 1)
        (folder / f"f{i}").write_bytes(data)
        files[hash_bytes(data)] = (str(folder / f"f{i}"), data)
    return files


def _store(service: Service) -> LocalBlobStore:
    assert isinstance(service.store, LocalBlobStore)
    return service.store


def test_upload_files_packs_the_batch_and_reports_progress(service: Service, tmp_path: Path) -> None:
    files = _files(tmp_path / "src", 200)
    seen: list[int] = []
    service.upload_files([(digest, path) for digest, (path, _data) in files.items()], seen.append)
    assert sum(seen) == sum(len(data) for _path, data in files.values())
    assert len(list(Path(_store(service).packs_dir).glob("*.pack"))) == 1
    assert service.missing_blobs(list(files)) == []


def test_upload_files_stores_held_bytes_without_the_file_and_verifies_them(
    service: Service, tmp_path: Path
) -> None:
    files = _files(tmp_path / "src", 3)
    held = {digest: data for digest, (_path, data) in files.items()}
    for path, _data in files.values():
        os.unlink(path)  # the bytes are in memory: the files are not read again
    service.upload_files([(digest, path) for digest, (path, _data) in files.items()], held=held)
    assert all(service.read_bytes(digest) == data for digest, data in held.items())
    (tmp_path / "changed").write_bytes(b"new content")
    stale = hash_bytes(b"old content")
    with pytest.raises(FileChangedError, match="changed"):
        service.upload_files([(stale, str(tmp_path / "changed"))])
    assert service.missing_blobs([stale]) == [stale]


def test_download_blobs_writes_new_files_and_links_on_request(service: Service, tmp_path: Path) -> None:
    files = _files(tmp_path / "src", 20)
    service.upload_files([(digest, path) for digest, (path, _data) in files.items()])
    copies, links = tmp_path / "copies", tmp_path / "links"
    copies.mkdir()
    links.mkdir()
    seen: list[int] = []
    service.download_blobs([(digest, str(copies / digest)) for digest in files], seen.append)
    service.download_blobs([(digest, str(links / digest)) for digest in files], link=True)
    for digest, (_path, data) in files.items():
        assert (copies / digest).read_bytes() == data == (links / digest).read_bytes()
        blob = service.local_blob_path(digest)
        assert blob is not None and os.stat(links / digest).st_ino == os.stat(blob).st_ino
        assert os.stat(copies / digest).st_ino != os.stat(blob).st_ino
    assert sum(seen) == sum(len(data) for _path, data in files.values())
    with pytest.raises(FileExistsError, match="exists"):
        service.download_blobs([(next(iter(files)), str(copies / next(iter(files))))])
