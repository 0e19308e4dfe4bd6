"""Blob stores: ``LocalBlobStore`` (a folder) and ``ObjectBlobStore`` (S3, GCS, Azure)."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from archivist.core.errors import InvalidInputError
from archivist.storage.base import BlobStore

OBJECT_STORE_SCHEMES = ("s3", "gs", "az")
ALLOWED_STORES = (
    "a folder path, file:///path, s3://bucket/prefix, gs://bucket/prefix or az://container/prefix"
)


def open_store(url_or_path: str, *, label: str | None = None, reserve_bytes: int = 0) -> BlobStore:
    """The BlobStore a ``--store`` value names.

    A plain path or ``file://`` URL is a ``LocalBlobStore``; ``s3://``, ``gs://`` and
    ``az://`` URLs are an ``ObjectBlobStore`` (which needs the ``objectstore`` extra).
    ``label`` names the store in messages; ``reserve_bytes``: free space a folder store keeps.
    """
    if not isinstance(url_or_path, str) or not url_or_path.strip():
        raise InvalidInputError(f"invalid store {url_or_path!r}: use {ALLOWED_STORES}")
    if "://" not in url_or_path:
        from archivist.storage.local import LocalBlobStore

        return LocalBlobStore(os.path.expanduser(url_or_path), label=label, reserve_bytes=reserve_bytes)
    parts = urlsplit(url_or_path)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InvalidInputError(
                f"invalid store {url_or_path!r}: a file:// URL names a local folder (file:///path)"
            )
        from archivist.storage.local import LocalBlobStore

        return LocalBlobStore(unquote(parts.path), label=label, reserve_bytes=reserve_bytes)
    if scheme in OBJECT_STORE_SCHEMES:
        from archivist.storage.object_store import ObjectBlobStore

        return ObjectBlobStore(url_or_path, label=label)
    raise InvalidInputError(f"unsupported store {url_or_path!r}: use {ALLOWED_STORES}")
