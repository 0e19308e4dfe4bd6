"""Creating a download's files from local bytes (the client cache, a temp file).

A destination is always created anew (``O_EXCL``), never opened for writing when it
exists: it could be a hard link to a read-only blob, and writing through it would change
the blob. Copies are made by the kernel (``copy_file_range``, else ``sendfile``); link
mode makes a hard link and falls back to a copy where the filesystem cannot link.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os

LINK_FALLBACK_ERRNOS = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES}
)
"""Why ``os.link`` may fail where a copy still works: another filesystem, a filesystem
without hard links, too many links to one file, or the kernel's protected_hardlinks rule."""

_COPY_BYTES = 1 << 30
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL
_temp_counter = itertools.count()


def place(src: str, dest: str, link: bool, data: bytes | None = None) -> bool:
    """Create ``dest`` (which must not exist: ``FileExistsError``) with ``src``'s bytes.

    With ``link``, ``dest`` becomes a hard link to ``src`` when the filesystem allows it,
    else a copy. ``data``: ``src``'s bytes when the caller has them already (written out
    instead of copying the file). Returns whether ``dest`` is a link.
    ``FileNotFoundError`` if ``src`` is gone.
    """
    if link:
        try:
            os.link(src, dest)
            return True
        except OSError as exc:
            if exc.errno not in LINK_FALLBACK_ERRNOS:
                raise
    if data is None:
        copy_new(src, dest)
    else:
        write_new(dest, data)
    return False


def place_replacing(src: str, dest: str, link: bool, data: bytes | None = None) -> bool:
    """Like ``place``, but atomically replaces whatever is at ``dest`` (another process
    downloading into the same folder): the file is made under a temp name and renamed."""
    temp = temp_beside(dest)
    try:
        linked = place(src, temp, link, data)
        os.replace(temp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return linked


def place_at(src: str, dest: str, link: bool, data: bytes | None = None) -> bool:
    """``place``, or ``place_replacing`` when another process created ``dest`` meanwhile."""
    try:
        return place(src, dest, link, data)
    except FileExistsError:
        return place_replacing(src, dest, link, data)


def temp_beside(dest: str) -> str:
    """A temporary name in ``dest``'s folder (same filesystem, so it can be renamed over it)."""
    return f"{dest}.archivist-tmp-{os.getpid()}-{next(_temp_counter)}"


def copy_new(src: str, dest: str) -> None:
    """Copy ``src`` to a new file ``dest`` (``FileExistsError`` if it exists); a failed copy
    leaves no ``dest`` behind."""
    source = os.open(src, os.O_RDONLY)
    try:
        target = os.open(dest, _NEW_FILE, 0o666)
        try:
            _copy_descriptor(source, target)
        except BaseException:
            os.close(target)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(dest)
            raise
        os.close(target)
    finally:
        os.close(source)


def write_new(dest: str, data: bytes) -> None:
    """Create the new file ``dest`` (``FileExistsError`` if it exists) holding ``data``; a
    failed write leaves no ``dest`` behind."""
    target = os.open(dest, _NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(target, view) :]
    except BaseException:
        os.close(target)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(dest)
        raise
    os.close(target)


def _copy_descriptor(source: int, target: int) -> None:
    copied = 0
    if hasattr(os, "copy_file_range"):
        try:
            while n := os.copy_file_range(source, target, _COPY_BYTES):
                copied += n
            return
        except OSError as exc:
            # Not supported across these filesystems or by this kernel: copy otherwise,
            # unless bytes were already written (then the error is real).
            if copied or exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
    try:
        while os.sendfile(target, source, None, _COPY_BYTES):
            pass
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK):  # ENOTSOCK: macOS
            raise
        os.lseek(source, 0, os.SEEK_SET)
        os.lseek(target, 0, os.SEEK_SET)
        os.ftruncate(target, 0)
        while chunk := os.read(source, 1 << 20):
            view = memoryview(chunk)
            while view:
                view = view[os.write(target, view) :]
