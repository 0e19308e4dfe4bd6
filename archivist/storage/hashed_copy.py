"""Copying a blob file while hashing it: a download from a folder store is verified for
about the cost of the copy.

The kernel copies a chunk at a time (``copy_file_range``: the bytes never pass through
this process) while a second thread hashes each chunk just copied, from the source's
pages in the page cache (mapped, not read). The two overlap, so W1 (1.1 GB) is copied
and verified in about the time of the copy alone. A blob that fits in one read is read,
hashed and written on the caller's thread.
"""

from __future__ import annotations

import errno
import os
from concurrent.futures import Future, ThreadPoolExecutor

import blake3

from archivist.storage.loose import LARGE_CHUNK_BYTES, READ_CHUNK_BYTES, hash_range
from archivist.wire.new_files import write_fully

_NO_KERNEL_COPY = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM}


class _Copier:
    """Copies ``source`` to ``dest`` step by step: in the kernel where it can, else read and write."""

    def __init__(self, source: int, dest: int) -> None:
        self.source, self.dest = source, dest
        self.in_kernel = hasattr(os, "copy_file_range")

    def step(self, offset: int) -> int:
        """Copy up to ``LARGE_CHUNK_BYTES`` from ``offset`` of the source; 0 at its end."""
        if self.in_kernel:
            try:
                return os.copy_file_range(self.source, self.dest, LARGE_CHUNK_BYTES, offset)
            except OSError as error:
                if error.errno not in _NO_KERNEL_COPY:
                    raise
                self.in_kernel = False
        data = os.pread(self.source, LARGE_CHUNK_BYTES, offset)
        write_fully(self.dest, data)
        return len(data)


def copy_hashed(source: int, dest: int, what: str) -> tuple[int, str]:
    """Copy all of the file ``source`` (from offset 0) to ``dest`` (at its position); returns
    the bytes copied and their BLAKE3. ``what`` names the source in errors."""
    first = os.pread(source, READ_CHUNK_BYTES, 0)
    if len(first) < READ_CHUNK_BYTES:  # the whole blob: no thread needed
        write_fully(dest, first)
        return len(first), blake3.blake3(first).hexdigest()
    hasher = blake3.blake3()
    copier = _Copier(source, dest)
    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="archivist-hash") as hashing:
        pending: Future[None] | None = None
        while count := copier.step(done):
            if pending is not None:
                pending.result()
            pending = hashing.submit(hash_range, hasher, source, done, count, what)
            done += count
        if pending is not None:
            pending.result()
    return done, hasher.hexdigest()
