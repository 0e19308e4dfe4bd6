"""Digests of the files a draft adds, and keeping their bytes as they were when added.

A file is hashed where it is; the stat cache makes re-adding an unchanged file cost a
stat, not a read. With the default ``policy="mutable"`` the draft must also keep each
file's bytes as they are now, so that overwriting or deleting the file before the upload
neither fails the log nor changes it: small files' bytes, read to hash them anyway, are
held in memory or handed to a ``BlobSink``; larger files are ingested (hashed while the
BlobTransfer keeps a copy: the embedded store stores it, a server's transfer keeps it in
the client cache); files the stat cache knows are read again only when the store (or the
client cache) lacks their bytes. ``policy="immutable"`` promises the files will not change:
they are hashed and uploaded from where they are, and only files of at least
``INGEST_MIN_BYTES`` are ingested (one pass instead of two where the store is local).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from archivist.client.transfer.hashing import hash_file, hash_small_files
from archivist.core.blob_transfer import BlobSink, BlobTransfer
from archivist.core.progress import Progress
from archivist.sdk.held_bytes import HeldBytes
from archivist.sdk.stat_cache import StatCache

_PARALLEL_HASH_BYTES = 1 << 20  # files above this are hashed (or ingested) in a thread pool
_PARALLEL_FILES = 4
INGEST_MIN_BYTES = 64 << 20
"""With ``policy="immutable"``, files this large are ingested all the same (one pass)."""
SINK_CHUNK_BYTES = 4 << 20

Stat = os.stat_result
Found = tuple[str, Stat]


@dataclass
class Keeping:
    """How the files being digested are kept for the save.

    ``transfer``: the BlobTransfer of the draft's context (None: digests only, as for a
    download's comparison). ``mutable``: keep every file's bytes as they are now.
    ``sink``: small files' bytes go there as they are hashed (a large ``add_dir``);
    ``open_sink``: gives a sink the draft waits for, for bytes memory does not hold.
    """

    transfer: BlobTransfer | None = None
    mutable: bool = False
    sink: BlobSink | None = None
    open_sink: Callable[[], BlobSink] | None = None


def digest_files(
    stat_cache: StatCache | None,
    files: Sequence[Found],
    held: HeldBytes | None = None,
    under: str | None = None,
    keeping: Keeping | None = None,
    progress: Progress | None = None,
) -> dict[str, tuple[str, int]]:
    """Digest and size of each file, reading only files the stat cache does not know
    (and, when keeping them mutable, those whose bytes the store lacks).

    ``held`` keeps the bytes of small files read here, for the save. ``under``: every
    file lies inside this folder (the stat cache then answers with one range read).
    ``progress`` gets the bytes of each file as it is digested.
    """
    keeping = keeping or Keeping()
    report = progress or _ignore
    known: dict[str, str] = {}
    if stat_cache is not None:
        known = stat_cache.lookup_under(under, files) if under else stat_cache.lookup_many(files)
    if known and keeping.mutable and keeping.transfer is not None:
        known = _drop_unkept(keeping.transfer, known)
    results: dict[str, tuple[str, int]] = {}
    small: list[Found] = []
    large: list[Found] = []
    for path, st in files:
        digest = known.get(path)
        if digest is not None:
            results[path] = (digest, st.st_size)
        elif st.st_size > _PARALLEL_HASH_BYTES:
            large.append((path, st))
        else:
            small.append((path, st))
    report(sum(size for _digest, size in results.values()))
    if keeping.sink is not None:  # checked beside the hashing below
        keeping.sink.expect([results[path] for path in known])
    hashed: list[tuple[str, Stat, str]] = []
    large += _digest_small(small, results, hashed, held, keeping, report)
    _digest_large(large, results, hashed, keeping, report)
    if stat_cache is not None and hashed:
        stat_cache.record_many(hashed)
    return results


def _ignore(_count: int) -> None:
    pass


def _drop_unkept(transfer: BlobTransfer, known: dict[str, str]) -> dict[str, str]:
    """The stat cache's answers whose bytes the store (or client cache) keeps; the other
    files are read now, so that what is logged is what they hold now."""
    lacking = set(transfer.not_held_here(sorted(set(known.values()))))
    if not lacking:
        return known
    return {path: digest for path, digest in known.items() if digest not in lacking}


def _digest_small(
    small: list[Found],
    results: dict[str, tuple[str, int]],
    hashed: list[tuple[str, Stat, str]],
    held: HeldBytes | None,
    keeping: Keeping,
    report: Progress,
) -> list[Found]:
    """Hash files read in one call each, keeping their bytes; returns the files that grew
    too large to be read in one call meanwhile (digested as large files)."""
    sink = keeping.sink
    kept: list[tuple[str, bytes | None]] = []
    chunk: list[tuple[str, bytes]] = []
    chunk_bytes = 0
    regrown: list[Found] = []
    for (path, st), (digest, size, data) in zip(small, hash_small_files(small), strict=True):
        if data is None and keeping.mutable:
            regrown.append((path, st))  # ingested below, to keep its bytes
            continue
        results[path] = (digest, size)
        hashed.append((path, st, digest))
        if sink is not None and data is not None:
            chunk.append((digest, data))
            chunk_bytes += size
            if chunk_bytes >= SINK_CHUNK_BYTES:
                sink.add_many(chunk)
                report(chunk_bytes)
                chunk, chunk_bytes = [], 0
        else:
            kept.append((digest, data))
            chunk_bytes += size
            if chunk_bytes >= SINK_CHUNK_BYTES:
                report(chunk_bytes)
                chunk_bytes = 0
    if sink is not None:
        sink.add_many(chunk)
    report(chunk_bytes)
    refused = held.offer_many(kept) if held is not None else kept
    if keeping.mutable and keeping.open_sink is not None:
        unheld = [(digest, data) for digest, data in refused if data is not None]
        if unheld:
            spare = keeping.open_sink()
            try:
                spare.add_many(unheld)
            finally:
                spare.close()
    return regrown


def _digest_large(
    large: list[Found],
    results: dict[str, tuple[str, int]],
    hashed: list[tuple[str, Stat, str]],
    keeping: Keeping,
    report: Progress,
) -> None:
    """Hash (or ingest) the larger files, a few at once."""
    if not large:
        return
    transfer = keeping.transfer

    def digest(found: Found) -> tuple[str, int]:
        path, st = found
        if transfer is not None and (keeping.mutable or st.st_size >= INGEST_MIN_BYTES):
            answer = transfer.ingest_file(path)
        else:
            answer = hash_file(path)
        report(answer[1])
        return answer

    with ThreadPoolExecutor(max_workers=min(_PARALLEL_FILES, len(large))) as pool:
        for (path, st), answer in zip(large, pool.map(digest, large), strict=True):
            results[path] = answer
            hashed.append((path, st, answer[0]))
