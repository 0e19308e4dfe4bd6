"""Fetching the small files of a download in batches.

From a server, one request per file costs far more than the file itself, so
before ``download_entries`` walks the entries one by one, the small stored
blobs that are neither in a local store nor in the client cache are fetched
together (``Backend.download_blobs``: framed batches, several at once),
verified against their digests, added to the client cache and moved to their
destinations. Everything else -- large files, references, the embedded store,
cache hits -- takes the usual one-by-one path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

from archivist.core.errors import IntegrityError
from archivist.core.manifest import Entry
from archivist.sdk.context import Context
from archivist.sdk.hashing import hash_file

PREFETCH_MAX_BYTES = 4 << 20
"""Blobs up to this size are fetched in batches; larger ones stream one by one."""


def prefetch_blobs(
    ctx: Context,
    entries: Sequence[Entry],
    destination_of: Callable[[Entry], str],
    skip_cache: bool,
    advance: Callable[[int], None],
) -> set[str]:
    """Put the small stored blobs among ``entries`` at their destinations; returns their paths."""
    small = [e for e in entries if e.ref is None and e.size <= PREFETCH_MAX_BYTES]
    if len(small) < 2 or ctx.backend.local_blob_path(small[0].digest) is not None:
        return set()  # nothing worth batching, or the store is on this machine
    if not skip_cache:
        small = [e for e in small if ctx.client_cache.get(e.digest, e.size) is None]
    if not small:
        return set()
    temps = {e.path: f"{destination_of(e)}.archivist-tmp-{os.getpid()}" for e in small}
    for parent in {os.path.dirname(path) for path in temps.values()}:
        os.makedirs(parent, exist_ok=True)
    try:
        ctx.backend.download_blobs([(e.digest, temps[e.path]) for e in small])
        for entry in small:
            _keep(ctx, entry, temps[entry.path], destination_of(entry), skip_cache)
            advance(entry.size)
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    return {e.path for e in small}


def _keep(ctx: Context, entry: Entry, temp: str, dest: str, skip_cache: bool) -> None:
    check_download(ctx, entry, temp, skip_cache)
    os.replace(temp, dest)


def check_download(ctx: Context, entry: Entry, path: str, skip_cache: bool) -> None:
    """Verify bytes fetched from a remote store against the entry, then keep them in the cache."""
    digest, _size = hash_file(path)
    if digest != entry.digest:
        raise IntegrityError(f"downloaded bytes of {entry.path!r} do not match its digest")
    if not skip_cache:
        ctx.client_cache.add_file(entry.digest, path)
