"""File digests: hex BLAKE3 of a file's bytes, as fast as the disk allows.

Small files are read in one system call; large ones are read in 4 MiB chunks
into two buffers in turn (so memory stays bounded for a file of any size; a memory
map would count the whole file in the process's RSS, and a file truncated while
mapped kills the process with SIGBUS) and hashed on several
threads above ``MULTITHREAD_MIN_BYTES`` (BLAKE3 releases the GIL, so callers may
also hash files in parallel).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import blake3

from archivist.wire.file_reads import new_hasher, open_for_reading

CHUNKED_MIN_BYTES = 1 << 20
MULTITHREAD_MIN_BYTES = 8 << 20
CHUNK_BYTES = 4 << 20


def hash_file(path: str) -> tuple[str, int]:
    """``(hex BLAKE3, size in bytes)`` of the file at ``path``."""
    digest, size, _data = hash_file_keeping(path)
    return digest, size


def hash_file_keeping(path: str) -> tuple[str, int, bytes | None]:
    """Like ``hash_file``, plus the bytes that were hashed when the file is small
    (read in one call, under ``CHUNKED_MIN_BYTES``), else None.

    Callers that store the file next keep these bytes instead of reading and
    hashing it a second time.
    """
    fd = open_for_reading(path)
    try:
        size = os.fstat(fd).st_size
        if size < CHUNKED_MIN_BYTES:
            data = _read_to_end(fd, size)
            return blake3.blake3(data).hexdigest(), len(data), data
    finally:
        os.close(fd)
    hasher = new_hasher(threaded=size >= MULTITHREAD_MIN_BYTES)
    total = _hash_chunks(path, hasher)
    return hasher.hexdigest(), total, None


def _hash_chunks(path: str, hasher: blake3.blake3) -> int:
    """Feed the file to ``hasher`` a chunk at a time; returns its length. Two buffers take
    turns: a helper thread hashes one while the next is read into the other, so reading
    and hashing overlap instead of adding up (figures: benchmarks/PROFILE.md)."""
    buffers = [bytearray(CHUNK_BYTES), bytearray(CHUNK_BYTES)]
    views = [memoryview(buffer) for buffer in buffers]
    total, turn = 0, 0
    hashing: Future[object] | None = None
    with open(path, "rb", buffering=0) as handle, ThreadPoolExecutor(1, "archivist-hash") as helper:
        while count := handle.readinto(buffers[turn]):
            if hashing is not None:
                hashing.result()  # the other buffer is free again
            hashing = helper.submit(hasher.update, views[turn][:count])
            total += count
            turn = 1 - turn
        if hashing is not None:
            hashing.result()
    return total


def hash_small_files(files: Sequence[tuple[str, os.stat_result]]) -> Iterator[tuple[str, int, bytes | None]]:
    """``hash_file_keeping`` of many files known (from ``files``' stats) to be small.

    One tight loop (open, one read, close, hash) without ``fstat``: the per-file
    overhead is what logging 20,000 small files costs beyond reading them.
    """
    hasher, read, close = blake3.blake3, os.read, os.close
    for path, st in files:
        expected = st.st_size
        if expected >= CHUNKED_MIN_BYTES:
            yield hash_file_keeping(path)
            continue
        fd = open_for_reading(path)
        try:
            data = read(fd, expected + 1)
            grew = len(data) > expected
        finally:
            close(fd)
        if grew:  # written to since it was listed: hash it as it is now
            yield hash_file_keeping(path)
            continue
        yield hasher(data).hexdigest(), len(data), data


def _read_to_end(fd: int, expected_size: int) -> bytes:
    """Everything left in ``fd``: one read for a file that did not grow since ``fstat``."""
    data = os.read(fd, expected_size + 1)
    if len(data) <= expected_size:
        return data  # a short read of a regular file is its end
    chunks = [data]
    while chunk := os.read(fd, CHUNKED_MIN_BYTES):
        chunks.append(chunk)
    return b"".join(chunks)
