"""Which cached blob holds the bytes of a reference: an index from (URI, recorded
ETag) to the BLAKE3 digest of the bytes downloaded for it.

The bytes themselves live in the client cache like any blob (size limit, LRU
eviction, verified writes), so a reference whose bytes equal a stored file's
is cached once. The index key is SPEC §3.7's: SHA-256 of SHA-256(URI) ‖
SHA-256(ETag). An index entry whose blob was evicted is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import os

from archivist.core.manifest import is_blob_digest


class ReferenceCacheIndex:
    """``<cache dir>/refs/<2 hex>/<62 hex>`` files holding ``<blake3 digest> <size>``."""

    def __init__(self, cache_dir: str) -> None:
        self._root = os.path.join(cache_dir, "refs")

    def _path(self, uri: str, etag: str) -> str:
        key = hashlib.sha256(
            hashlib.sha256(uri.encode()).digest() + hashlib.sha256(etag.encode()).digest()
        ).hexdigest()
        return os.path.join(self._root, key[:2], key[2:])

    def lookup(self, uri: str, etag: str) -> tuple[str, int] | None:
        """(BLAKE3 digest, size) recorded for this URI and ETag, or None."""
        try:
            with open(self._path(uri, etag), encoding="ascii") as handle:
                digest, size = handle.read().split()
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not is_blob_digest(digest) or not size.isdigit():
            return None
        return digest, int(size)

    def record(self, uri: str, etag: str, digest: str, size: int) -> None:
        path = self._path(uri, etag)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}-{id(self)}"
        try:
            with open(tmp, "w", encoding="ascii") as handle:
                handle.write(f"{digest} {size}\n")
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
