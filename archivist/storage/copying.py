"""Writing blobs out of a folder store to new files (``LocalBlobStore.copy_to``).

Each destination is created with ``O_CREAT | O_EXCL`` (it must not exist; its folder
must), written whole, and removed again if writing it fails, so a destination is
either complete or absent. Loose blobs are copied by the kernel
(``copy_file_range``, else ``sendfile``); packed blobs come from one sequential
read per pack. Link mode hard-links each destination to the read-only loose blob; a
packed blob is written (verified, read-only) to its first destination, which is then
linked in as the store's loose blob, so that later downloads link it. Where the
filesystem refuses links (another device, no hard links, too many links) it copies.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import blake3

from archivist.core.errors import BlobNotFoundError, IntegrityError
from archivist.storage.batches import Progress, ignore_progress
from archivist.storage.loose import BLOB_MODE, write_fully
from archivist.storage.pack_index import Location
from archivist.storage.packs import read_packed

if TYPE_CHECKING:
    from archivist.storage.local import LocalBlobStore

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
COPY_REQUEST_BYTES = 1 << 30
_NO_LINKS_HERE = {errno.EXDEV, errno.EPERM, errno.EACCES, errno.EOPNOTSUPP, errno.ENOTSUP}
"""``link`` errors meaning no destination of this batch can be linked: copy instead."""


def _exists_error(path: str, digest: str) -> FileExistsError:
    return FileExistsError(
        errno.EEXIST,
        f"cannot write blob {digest[:12]}... to {path}: the file exists (destinations must be new; "
        "remove it first)",
        path,
    )


def _create(path: str, digest: str, mode: int = 0o666) -> int:
    try:
        return os.open(path, _NEW_FILE, mode)
    except FileExistsError:
        raise _exists_error(path, digest) from None


def write_new(path: str, digest: str, data: bytes, mode: int = 0o666) -> None:
    """Create ``path`` holding ``data``; on failure it is removed again."""
    fd = _create(path, digest, mode)
    try:
        write_fully(fd, data)
    except BaseException:
        os.close(fd)
        _remove(path)
        raise
    os.close(fd)


def copy_new(source_fd: int, path: str, digest: str) -> int:
    """Create ``path`` as a copy of the open file ``source_fd``; returns the bytes copied."""
    fd = _create(path, digest)
    try:
        copied = _kernel_copy(source_fd, fd)
    except BaseException:
        os.close(fd)
        _remove(path)
        raise
    os.close(fd)
    return copied


def _kernel_copy(source: int, dest: int) -> int:
    """Copy all of ``source`` (from offset 0) to ``dest``; no stat, the end is a zero return."""
    done = 0
    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is not None:
        try:
            while count := copy_file_range(source, dest, COPY_REQUEST_BYTES, done):
                done += count
            return done
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
                raise
    try:
        while count := os.sendfile(dest, source, done, COPY_REQUEST_BYTES):
            done += count
        return done
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOSYS):
            raise
    while chunk := os.pread(source, 1 << 20, done):
        write_fully(dest, chunk)
        done += len(chunk)
    return done


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def packed_bytes(
    store: LocalBlobStore, located: Mapping[str, Location]
) -> Iterator[tuple[str, bytes | None]]:
    """Bytes of packed blobs in (pack, offset) order; a blob whose pack vanished (compacted)
    is looked up once more; one no longer packed at all comes last with None."""
    gone: list[str] = []
    yield from read_packed(store.packs_dir, located.items(), gone)
    if not gone:
        return
    again = store.index.locate(gone)
    still_gone: list[str] = []
    yield from read_packed(store.packs_dir, again.items(), still_gone)
    for digest in [*still_gone, *(d for d in gone if d not in again)]:
        yield digest, None


def copy_blobs(
    store: LocalBlobStore,
    destinations: Mapping[str, Sequence[str]],
    located: Mapping[str, Location],
    report: Progress,
) -> None:
    loose: list[str] = [digest for digest in destinations if digest not in located]
    for digest, data in packed_bytes(store, located):
        if data is None:
            loose.append(digest)  # no longer packed: maybe a loose copy exists
            continue
        for path in destinations[digest]:
            write_new(path, digest, data)
            report(len(data))
    for digest in loose:
        source = _open_loose(store, digest)
        try:
            for path in destinations[digest]:
                report(copy_new(source, path, digest))
        finally:
            os.close(source)


def _open_loose(store: LocalBlobStore, digest: str) -> int:
    try:
        return os.open(store.checked_blob_path(digest), _READ)
    except FileNotFoundError:
        raise BlobNotFoundError(f"blob {digest} is not in the store at {store.root}") from None


class _Linker:
    """Hard-links destinations to loose blobs until the filesystem refuses, then copies."""

    def __init__(self, store: LocalBlobStore, report: Progress) -> None:
        self.store = store
        self.report = report
        self.can_link = True

    def link(self, digest: str, path: str, size: int | None) -> bool:
        """Link ``path`` to the loose blob; False when it must be copied instead.

        Raises ``FileNotFoundError`` when the loose blob (or ``path``'s folder) is absent.
        """
        if not self.can_link:
            return False
        source = self.store.checked_blob_path(digest)
        try:
            os.link(source, path)
        except FileExistsError:
            raise _exists_error(path, digest) from None
        except OSError as error:
            if error.errno == errno.EMLINK:
                return False  # this blob has too many links; others may still link
            if error.errno in _NO_LINKS_HERE:
                self.can_link = False
                return False
            raise
        if size is None and self.report is not ignore_progress:
            size = os.stat(source).st_size  # only when someone counts the bytes
        self.report(size or 0)
        return True

    def adopt(self, digest: str, path: str, data: bytes) -> bool:
        """Write a packed blob to the new file ``path``, read-only, then link that file in as
        the store's loose blob: ``path`` becomes the blob, as a link would, for the cost of a
        copy (no temp file and rename in the store). The store sees the file only once it is
        whole and verified. False (``path`` then not written) when the store refuses links."""
        actual = blake3.blake3(data).hexdigest()
        if actual != digest:
            raise IntegrityError(
                f"packed blob {digest} in {self.store.root} is damaged: its bytes hash to blake3 {actual}"
            )
        write_new(path, digest, data, BLOB_MODE)
        try:
            _link_into_store(path, self.store.checked_blob_path(digest))
        except FileExistsError:
            pass  # extracted by another process meanwhile: ``path`` is an identical read-only copy
        except OSError as error:
            _remove(path)
            if error.errno not in _NO_LINKS_HERE:
                raise
            self.can_link = False
            return False
        self.report(len(data))
        return True

    def copy_loose(self, digest: str, paths: Sequence[str]) -> None:
        source = _open_loose(self.store, digest)
        try:
            for path in paths:
                self.report(copy_new(source, path, digest))
        finally:
            os.close(source)


def link_blobs(
    store: LocalBlobStore,
    destinations: Mapping[str, Sequence[str]],
    located: Mapping[str, Location],
    report: Progress,
) -> None:
    linker = _Linker(store, report)
    unextracted: dict[str, Location] = {}
    left: dict[str, list[str]] = {}
    for digest, paths in destinations.items():
        size = located[digest].size if digest in located else None
        pending = left[digest] = list(paths)
        try:
            while pending and linker.link(digest, pending[0], size):
                pending.pop(0)
        except FileNotFoundError:
            if digest in located:
                unextracted[digest] = located[digest]  # packed only: extract it below
                continue
            if not os.path.exists(store.checked_blob_path(digest)):
                raise BlobNotFoundError(f"blob {digest} is not in the store at {store.root}") from None
            raise
        if pending and digest in located:
            unextracted[digest] = located[digest]  # copies from the pack read below
        elif pending:
            linker.copy_loose(digest, pending)
    for digest, data in packed_bytes(store, unextracted):
        paths = left[digest]
        if data is None:
            linker.copy_loose(digest, paths)
            continue
        adopted = linker.can_link and linker.adopt(digest, paths[0], data)
        for path in paths[1:] if adopted else paths:
            if not linker.link(digest, path, len(data)):
                write_new(path, digest, data)
                report(len(data))


def _link_into_store(path: str, loose: str) -> None:
    try:
        os.link(path, loose)
    except FileNotFoundError:
        if not os.path.exists(path):
            raise
        os.makedirs(os.path.dirname(loose), exist_ok=True)  # a fan-out folder not made yet
        os.link(path, loose)
