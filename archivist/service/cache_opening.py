"""Opening the client cache (``storage/client_cache.py``) for ``client/factory.py`` and the
SDK, which hold it as a ``core`` ``BlobCache`` and never import ``storage/``."""

from __future__ import annotations

from archivist.core.blob_cache import BlobCache, BlobCacheOpener
from archivist.storage.client_cache import CacheOpener, ClientCache


def open_cache(root: str, limit_bytes: int | None) -> BlobCache:
    """The cache in folder ``root`` (made now), holding at most ``limit_bytes`` (None: the default)."""
    return ClientCache(root, limit_bytes)


def cache_opener(root: str, limit_bytes: int | None) -> BlobCacheOpener:
    """The cache in folder ``root``, made when first asked for."""
    return CacheOpener(root, limit_bytes)
