"""The client cache as the layers above ``storage/`` use it: blobs of a server kept on this
machine, by digest, with a size limit (``storage/client_cache.py`` is the folder that holds
them). ``client/`` and ``sdk/`` hold a ``BlobCache`` and never import ``storage/``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

CACHED_BLOB_MODE = 0o444
"""Cached blobs are read-only files, so a download in link mode can hard-link them."""


class BlobCache(Protocol):
    """Verified blobs by digest; every method may evict least recently used ones to stay
    under ``limit`` bytes, and a blob larger than ``limit`` is never kept."""

    root: str
    limit: int
    packed_max_bytes: int
    """Blobs up to this size may be kept packed (``add_many``) instead of as files of their own."""

    def get(self, digest: str, size: int | None = None) -> str | None:
        """The path of cached blob ``digest`` (of ``size`` bytes when given), or None."""
        ...

    def packed(self, wanted: Mapping[str, int]) -> Iterator[tuple[str, bytes]]:
        """``(digest, bytes)`` of the packed blobs among ``wanted`` (digest -> size)."""
        ...

    def add_many(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        """Keep small blobs the caller has just verified, packed together."""
        ...

    def add_file(self, digest: str, src_path: str) -> str | None:
        """Copy ``src_path`` in as blob ``digest`` (verified); the cached path, or None when too large."""
        ...

    def ingest(self, path: str) -> tuple[str, int] | None:
        """Copy the file at ``path`` in while hashing it: ``(digest, size)``, or None when too large."""
        ...

    def missing(self, digests: Sequence[str]) -> set[str]:
        """The digests among ``digests`` the cache does not hold."""
        ...

    def sources(self, digests: Sequence[str]) -> dict[str, str | bytes]:
        """Where the cache holds each of ``digests``: a file's path, or a packed blob's bytes."""
        ...

    def download_path(self, digest: str) -> str:
        """A new temporary path on the cache's filesystem to download ``digest`` into."""
        ...

    def adopt(self, digest: str, path: str, size: int) -> str | None:
        """Move a verified download from ``download_path`` in; the cached path, or None when too large."""
        ...

    def size(self) -> int:
        """Bytes held in cached blobs now."""
        ...

    def evict(self, target_bytes: int) -> int:
        """Remove least recently used blobs until at most ``target_bytes`` remain; bytes reclaimed."""
        ...

    def cleanup(self, target_size: int, remove_temp: bool = False) -> int:
        """``evict(target_size)``, and with ``remove_temp`` the unfinished temporary files too."""
        ...


BlobCacheOpener = Callable[[], BlobCache]
"""Gives the process's cache, made when first asked for (making it creates its folders)."""
