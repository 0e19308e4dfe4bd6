"""LocalBlobStore: blobs in a folder, ``<root>/<first 2 hex>/<remaining 62 hex>``.

Every write goes to a temp file under ``<root>/tmp/`` (same filesystem) and is
renamed into place only once its digest matches: a file that fits in one read is
hashed before anything is written, a larger one is hashed while it streams.
A process killed at any moment therefore never leaves a partial file at a blob
path; it leaves at most a stale temp file, which ``cleanup_temp`` removes.
Blobs are created read-only (0o444, minus the umask).

Speed matters here (storing 20,000 small files should cost about what ``cp -r``
does), so the write path uses os-level calls and no extra stats: fan-out folders
are created only when a rename finds them missing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import blake3

from archivist.core.errors import (
    BlobNotFoundError,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
    StorageError,
)
from archivist.core.manifest import is_blob_digest

READ_CHUNK_BYTES = 1 << 20
BLOB_MODE = 0o444
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL
_temp_counter = itertools.count()


def require_blob_digest(digest: str) -> str:
    """``digest`` if it is 64 lowercase hex characters, else ``InvalidInputError``.

    Checked before any path is built from a digest, so none can escape the root.
    """
    if not isinstance(digest, str) or not is_blob_digest(digest):
        raise InvalidInputError(
            f"invalid blob digest {digest!r}: expected 64 lowercase hex characters (a BLAKE3 digest)"
        )
    return digest


class BlobWriter:
    """A blob being written: bytes go to a temp file and into a BLAKE3 hasher.

    ``commit()`` checks the digest and renames the temp file into place;
    ``abort()`` removes it. Exactly one of the two must be called.
    """

    def __init__(self, digest: str, final_path: str, temp_dir: str) -> None:
        self.digest = digest
        self.final_path = final_path
        self.size = 0
        self._hasher = blake3.blake3()
        self._temp_path, self._fd = _create_temp(temp_dir, digest)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._hasher.update(data)
        _write_fully(self._fd, data)
        self.size += len(data)
        return len(data)

    def hexdigest(self) -> str:
        """The BLAKE3 of the bytes written so far."""
        return self._hasher.hexdigest()

    def commit(self) -> int:
        """Verify the digest, then move the blob into place; returns its size."""
        actual = self._hasher.hexdigest()
        if actual != self.digest:
            self.abort()
            raise IntegrityError(
                f"blob bytes hash to blake3 {actual[:12]}..., expected {self.digest[:12]}...; "
                "nothing was stored"
            )
        os.close(self._fd)
        self._fd = -1
        try:
            _rename_into_place(self._temp_path, self.final_path)
        except BaseException:
            self.abort()
            raise
        return self.size

    def abort(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp_path)


class LocalBlobStore:
    """The BlobStore protocol over a local folder.

    ``temp_dir`` defaults to ``<root>/tmp``; it must be on the same filesystem as
    ``root`` so that renames are atomic.
    """

    def __init__(self, root: str, *, temp_dir: str | None = None) -> None:
        self.root = os.path.abspath(root)
        self.temp_dir = os.path.abspath(temp_dir) if temp_dir else os.path.join(self.root, "tmp")
        os.makedirs(self.temp_dir, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({self.root!r})"

    def blob_path(self, digest: str) -> str:
        """Where blob ``digest`` lives (whether or not it exists)."""
        require_blob_digest(digest)
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    def missing(self, digests: Iterable[str]) -> set[str]:
        return {digest for digest in digests if not os.path.exists(self.blob_path(digest))}

    def put_file(self, digest: str, path: str) -> int:
        final_path = self.blob_path(digest)
        with contextlib.suppress(FileNotFoundError):
            return os.stat(final_path).st_size
        source = open_for_reading(path)
        try:
            first = os.read(source, READ_CHUNK_BYTES)
            more = os.read(source, READ_CHUNK_BYTES) if first else b""
            if not more:  # the whole file came in one read: check it before writing anything
                _check_read_digest(path, digest, blake3.blake3(first).hexdigest())
                _store_whole(first, final_path, self.temp_dir, digest)
                return len(first)
            writer = BlobWriter(digest, final_path, self.temp_dir)
            try:
                writer.write(first)
                writer.write(more)
                while chunk := os.read(source, READ_CHUNK_BYTES):
                    writer.write(chunk)
                _check_read_digest(path, digest, writer.hexdigest())
            except BaseException:
                writer.abort()
                raise
        finally:
            os.close(source)
        return writer.commit()

    def put_bytes(self, digest: str, data: bytes) -> None:
        final_path = self.blob_path(digest)
        actual = blake3.blake3(data).hexdigest()
        if actual != digest:
            raise IntegrityError(
                f"bytes hash to blake3 {actual[:12]}..., not {digest[:12]}...; nothing was stored"
            )
        if not os.path.exists(final_path):
            _store_whole(data, final_path, self.temp_dir, digest)

    def open_writer(self, digest: str) -> BlobWriter:
        """A writer for blob ``digest`` (used to stream a download into the store)."""
        return BlobWriter(digest, self.blob_path(digest), self.temp_dir)

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.blob_path(digest), "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in the store at {self.root}") from None

    def local_path(self, digest: str) -> str | None:
        path = self.blob_path(digest)
        return path if os.path.exists(path) else None

    def delete(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.blob_path(digest))

    def iter_digests(self) -> Iterator[str]:
        for digest, _entry in self.iter_blob_entries():
            yield digest

    def iter_blob_entries(self) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """``(digest, directory entry)`` of every blob; the entry's ``stat()`` is cheap to ask."""
        for fan_out in _scandir_or_empty(self.root):
            prefix = fan_out.name
            if len(prefix) != 2 or not fan_out.is_dir(follow_symlinks=False):
                continue  # tmp/ and anything else that is not a fan-out folder
            for blob in _scandir_or_empty(fan_out.path):
                digest = prefix + blob.name
                if is_blob_digest(digest):
                    yield digest, blob

    def cleanup_temp(self, older_than_seconds: float) -> int:
        """Remove temp files last written more than ``older_than_seconds`` ago.

        They are left by killed writers; a live writer keeps its temp file's
        mtime fresh, so pick an age longer than any single write may stall.
        Returns the bytes reclaimed.
        """
        cutoff_ns = time.time_ns() - int(older_than_seconds * 1e9)
        reclaimed = 0
        for entry in _scandir_or_empty(self.temp_dir):
            try:
                st = entry.stat(follow_symlinks=False)
                if st.st_mtime_ns <= cutoff_ns:
                    os.unlink(entry.path)
                    reclaimed += st.st_size
            except FileNotFoundError:
                continue  # removed by another cleaner or committed meanwhile
        return reclaimed


def open_for_reading(path: str) -> int:
    """An os-level read descriptor for ``path``; ``PathNotFoundError`` if it is absent."""
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise PathNotFoundError(f"cannot read {path}: no such file") from None


def _check_read_digest(path: str, expected: str, actual: str) -> None:
    if actual != expected:
        raise FileChangedError(
            f"{path} changed while it was being stored: expected blake3 {expected[:12]}..., "
            f"read {actual[:12]}...; nothing was stored"
        )


def _store_whole(data: bytes, final_path: str, temp_dir: str, digest: str) -> None:
    """Write already verified bytes to a temp file and rename it to ``final_path``."""
    temp_path, fd = _create_temp(temp_dir, digest)
    try:
        try:
            _write_fully(fd, data)
        finally:
            os.close(fd)
        _rename_into_place(temp_path, final_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise


def _write_fully(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _create_temp(temp_dir: str, digest: str) -> tuple[str, int]:
    """A new, exclusively created temp file (mode 0o444 minus umask) and its descriptor."""
    for attempt in range(3):
        path = f"{temp_dir}/{digest[:16]}.{os.getpid()}.{next(_temp_counter)}.tmp"
        try:
            return path, os.open(path, _TEMP_FLAGS, BLOB_MODE)
        except FileExistsError:
            continue  # a stale file of an earlier process with the same pid
        except FileNotFoundError:
            if attempt:
                raise
            os.makedirs(temp_dir, exist_ok=True)  # someone removed tmp/
    raise StorageError(f"could not create a temp file in {temp_dir}: names kept colliding")


def _rename_into_place(temp_path: str, final_path: str) -> None:
    try:
        os.replace(temp_path, final_path)
    except FileNotFoundError:
        if not os.path.exists(temp_path):
            raise StorageError(
                f"temp file {temp_path} vanished before it could be stored (was tmp/ cleaned?)"
            ) from None
        os.makedirs(os.path.dirname(final_path), exist_ok=True)
        os.replace(temp_path, final_path)


def _scandir_or_empty(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except FileNotFoundError:
        return []
