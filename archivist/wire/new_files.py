"""Creating a file whole or not at all: it must be new (``O_EXCL``: a destination that exists
is an error naming it), it is filled by the kernel where it can (``copy_file_range``,
``sendfile``), and on any failure it is removed again. Shared by the folder store
(``archivist.storage.copying``) and the client's placing of files (``archivist.client.
transfer.placing``).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
from collections.abc import Callable

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
COPY_REQUEST_BYTES = 1 << 30
_temp_counter = itertools.count()


def exists_error(path: str, digest: str) -> FileExistsError:
    return FileExistsError(
        errno.EEXIST,
        f"cannot write {f'blob {digest[:12]}...' if digest else 'a file'} to {path}: the file exists "
        "(destinations must be new; remove it first)",
        path,
    )


def create_new(path: str, digest: str, mode: int = 0o666) -> int:
    try:
        return os.open(path, _NEW_FILE, mode)
    except FileExistsError:
        raise exists_error(path, digest) from None


def write_new(path: str, digest: str, data: bytes, mode: int = 0o666) -> None:
    """Create ``path`` holding ``data``; on failure it is removed again. ``digest`` (may be
    empty) names the blob in the error when ``path`` exists."""
    fd = create_new(path, digest, mode)
    try:
        written = os.write(fd, data)  # all of a small blob: no memoryview, no loop
        if written < len(data):
            write_fully(fd, memoryview(data)[written:])
    except BaseException:
        os.close(fd)
        remove_quietly(path)
        raise
    os.close(fd)


def copy_new(source_fd: int, path: str, digest: str) -> int:
    """Create ``path`` as a copy of the open file ``source_fd``; returns the bytes copied."""
    return fill_new(path, digest, lambda fd: kernel_copy(source_fd, fd))


def fill_new(path: str, digest: str, fill: Callable[[int], int]) -> int:
    """Create ``path`` and ``fill`` its descriptor (returning a byte count); on failure the
    new file is removed again."""
    fd = create_new(path, digest)
    try:
        count = fill(fd)
    except BaseException:
        os.close(fd)
        remove_quietly(path)
        raise
    os.close(fd)
    return count


def kernel_copy(source: int, dest: int) -> int:
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
        if error.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK):  # ENOTSOCK: macOS
            raise
    while chunk := os.pread(source, 1 << 20, done):
        write_fully(dest, chunk)
        done += len(chunk)
    return done


def remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_fully(fd: int, data: bytes | bytearray | memoryview) -> None:
    """Write all of ``data`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def temp_beside(dest: str) -> str:
    """A temporary name in ``dest``'s folder (same filesystem, so it can be renamed over it)."""
    return f"{dest}.archivist-tmp-{os.getpid()}-{next(_temp_counter)}"
