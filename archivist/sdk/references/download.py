"""Fetching a reference entry's bytes for a download: through the client cache
when the entry records an ETag (keyed by URI and ETag, SPEC §3.7), straight
from the source otherwise; references to other artifacts fetch their target."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from archivist.client.transfer.hashing import hash_file
from archivist.core.manifest import Entry
from archivist.sdk.references import handler_for
from archivist.sdk.references.artifact import ArtifactReferenceHandler
from archivist.sdk.references.base import ReferenceHandler, digest_is_uri
from archivist.sdk.references.cache import ReferenceCacheIndex

if TYPE_CHECKING:
    from archivist.sdk.context import Context


def fetch_reference(ctx: Context, entry: Entry, path: str, skip_cache: bool) -> None:
    """Write the bytes of reference ``entry`` to ``path`` (the caller makes it atomic)."""
    handler = handler_for(entry.ref or "", ctx)
    if isinstance(handler, ArtifactReferenceHandler):
        handler.fetch(entry, path, skip_cache)
    elif skip_cache or not handler.cache_downloads or digest_is_uri(entry):
        handler.load(entry, path)  # nothing identifies the bytes (or no cache wanted)
    else:
        _fetch_through_cache(ctx, handler, entry, path)


def _fetch_through_cache(ctx: Context, handler: ReferenceHandler, entry: Entry, path: str) -> None:
    uri = entry.ref or ""
    index = ReferenceCacheIndex(ctx.settings.cache_dir)
    known = index.lookup(uri, entry.digest)
    if known is not None:
        cached = ctx.client_cache.get(known[0], size=known[1])
        if cached is not None:
            try:
                shutil.copyfile(cached, path)
                return
            except FileNotFoundError:  # evicted by another process meanwhile: a miss
                pass
    handler.load(entry, path)
    digest, size = hash_file(path)
    if ctx.client_cache.add_file(digest, path) is not None:
        index.record(uri, entry.digest, digest, size)
