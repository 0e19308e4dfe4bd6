"""Putting written bytes on stable storage before a commit names them.

A commit is durable when it returns: every blob, pack and manifest it names, and the
folder entries that name those files, are synced before the database commit (which
syncs too: ``synchronous=FULL``). Until a file is synced its bytes may sit in the page
cache only, and a power cut leaves it empty or short; until its folder is synced its
very name may be lost. So a store writes a file, syncs it, renames it into place and
syncs the folder, and returns only then.

- ``sync_file(fd)``: the file's bytes and size (``fdatasync``; ``fsync`` where there is none).
- ``sync_folder(path)``: the names created in or renamed into the folder.
- ``start_writeback(fd, offset, length)``: have the kernel start writing a range now
  (Linux ``sync_file_range``), while more is being written, so that the final
  ``sync_file`` waits for little, and the writes take no longer (figures:
  benchmarks/PROFILE.md).
- ``sync_filesystem(path)``: everything written to the filesystem (Linux ``syncfs``): one
  call instead of one sync per file for thousands of new files (see ``loose_batch``).
- ``make_folders(path)``: ``os.makedirs`` that syncs the parent of each folder it creates.
- ``FolderSyncs``: the folders a batch of writes changed, each synced once at its end.

The calls go through ``os.fdatasync``/``os.fsync`` at call time (and ``sync_filesystem``
through this module), so a test can watch them.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

SYNC_FILE_RANGE_WRITE = 2
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
CAN_SYNC_FOLDERS = os.name != "nt"
"""Windows cannot open a folder to sync it (NTFS journals its names itself)."""


def sync_file(fd: int) -> None:
    """Block until the bytes written to ``fd`` and its size are on stable storage."""
    fdatasync = getattr(os, "fdatasync", None)
    if fdatasync is None:  # macOS, Windows
        os.fsync(fd)
    else:
        fdatasync(fd)


def sync_folder(path: str) -> None:
    """Block until the entries of folder ``path`` (names created, renamed or removed) are durable."""
    if not CAN_SYNC_FOLDERS:
        return
    fd = os.open(path, _DIRECTORY_FLAGS)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folders(paths: Iterable[str]) -> None:
    for path in paths:
        sync_folder(path)


def _libc_function(name: str, argtypes: list[Any]) -> Callable[..., int] | None:
    """A Linux libc call (``sync_file_range``, ``syncfs``: not in ``os``); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = argtypes
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


_sync_file_range = _libc_function(
    "sync_file_range", [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
)
_syncfs = _libc_function("syncfs", [ctypes.c_int])
CAN_SYNC_FILESYSTEMS = _syncfs is not None


def sync_filesystem(path: str) -> None:
    """Block until everything written to the filesystem holding ``path`` is on stable storage
    (Linux ``syncfs``; ``OSError`` where there is none: check ``CAN_SYNC_FILESYSTEMS``)."""
    if _syncfs is None:
        raise OSError(f"cannot sync a whole filesystem here ({sys.platform})")
    fd = os.open(path, _DIRECTORY_FLAGS)
    try:
        if _syncfs(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), path)
    finally:
        os.close(fd)


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing ``length`` bytes of ``fd`` from ``offset`` back to disk
    without waiting for them (advice only: nothing happens where it cannot be asked)."""
    if _sync_file_range is not None and length > 0:
        _sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)


def make_folders(path: str, durable: bool = True) -> None:
    """``os.makedirs(path, exist_ok=True)``; when ``durable``, the parent of every folder it
    created is synced, so that the new folders survive a power cut."""
    created: list[str] = []
    probe = os.path.abspath(path)
    while not os.path.isdir(probe):
        created.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    os.makedirs(path, exist_ok=True)
    if durable:
        sync_folders(os.path.dirname(folder) for folder in reversed(created))


class FolderSyncs:
    """Folders whose entries a batch of writes changed; ``sync`` syncs each once."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._pending: dict[str, None] = {}

    def add(self, folders: Iterable[str]) -> None:
        if self.enabled:
            self._pending.update(dict.fromkeys(folders))

    def sync(self) -> None:
        """Sync every folder added since the last ``sync``."""
        pending, self._pending = self._pending, {}
        sync_folders(pending)
