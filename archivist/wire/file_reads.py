"""Reading local files for hashing and sending: shared by the stores (``storage/``) and the
client's transfers, which read the files they hash and upload the same way."""

from __future__ import annotations

import os

import blake3

from archivist.core.errors import PathNotFoundError

_in_forked_child = False


def _note_fork() -> None:
    global _in_forked_child
    _in_forked_child = True


os.register_at_fork(after_in_child=_note_fork)


def new_hasher(threaded: bool) -> blake3.blake3:
    """A BLAKE3 hasher, multi-threaded when asked and safe.

    BLAKE3's thread pool does not survive ``fork()``: a forked child that hashes on
    several threads can wait forever for threads that only existed in its parent,
    so a forked child always hashes on one thread.
    """
    if threaded and not _in_forked_child:
        return blake3.blake3(max_threads=blake3.blake3.AUTO)
    return blake3.blake3()


def open_for_reading(path: str) -> int:
    """An os-level read descriptor for ``path``; ``PathNotFoundError`` if it is absent."""
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise PathNotFoundError(f"cannot read {path}: no such file") from None
