"""Creating a download's files from local bytes (the client cache, a temp file).

A destination is always created anew (``O_EXCL``), never opened for writing when it
exists: it could be a hard link to a read-only blob, and writing through it would change
the blob. Copies are made by the kernel (``copy_file_range``, else ``sendfile``); link
mode makes a hard link and falls back to a copy where the filesystem cannot link.
"""

from __future__ import annotations

import errno
import os

from archivist.wire import new_files
from archivist.wire.new_files import remove_quietly, temp_beside

LINK_FALLBACK_ERRNOS = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES}
)
"""Why ``os.link`` may fail where a copy still works: another filesystem, a filesystem
without hard links, too many links to one file, or the kernel's protected_hardlinks rule."""


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
        remove_quietly(temp)
    return linked


def place_at(src: str, dest: str, link: bool, data: bytes | None = None) -> bool:
    """``place``, or ``place_replacing`` when another process created ``dest`` meanwhile."""
    try:
        return place(src, dest, link, data)
    except FileExistsError:
        return place_replacing(src, dest, link, data)


def copy_new(src: str, dest: str) -> None:
    """Copy ``src`` to a new file ``dest`` (``FileExistsError`` if it exists); a failed copy
    leaves no ``dest`` behind."""
    source = os.open(src, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        new_files.copy_new(source, dest, "")
    finally:
        os.close(source)


def write_new(dest: str, data: bytes) -> None:
    """Create the new file ``dest`` (``FileExistsError`` if it exists) holding ``data``; a
    failed write leaves no ``dest`` behind."""
    new_files.write_new(dest, "", data)
