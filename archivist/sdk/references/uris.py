"""Pieces of object store URIs shared by the providers: the bucket, a pinned
``?versionId=``, and the provider's environment variables as a cache key."""

from __future__ import annotations

import os
import re
from urllib.parse import SplitResult, parse_qs, urlsplit

from archivist.core.errors import InvalidInputError


def split_bucket_uri(uri: str, provider: str, bucket_name: re.Pattern[str], allowed: str) -> SplitResult:
    """``scheme://bucket/key...`` split, with the bucket checked against ``bucket_name``."""
    parts = urlsplit(uri)
    if not parts.netloc:
        raise InvalidInputError(
            f"{provider} reference {uri!r} names no bucket; use {parts.scheme}://bucket/key"
        )
    if not bucket_name.fullmatch(parts.netloc):
        raise InvalidInputError(
            f"{provider} reference {uri!r}: {parts.netloc!r} is not a bucket name ({allowed})"
        )
    return parts


def version_in_query(uri: str, query: str, provider: str, hint: str = "") -> str | None:
    """The version pinned by ``?versionId=<id>``, the only query a reference may carry."""
    if not query:
        return None
    params = parse_qs(query, keep_blank_values=True)
    values = params.get("versionId", [])
    if set(params) != {"versionId"} or len(values) != 1 or not values[0]:
        raise InvalidInputError(
            f"{provider} reference {uri!r}: the only query understood is ?versionId=<version id>{hint}"
        )
    return values[0]


def environment(*prefixes: str) -> tuple[tuple[str, str], ...]:
    """The environment variables starting with ``prefixes``, sorted: a key for cached clients,
    so that credentials or endpoints changed meanwhile open a new client."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(prefixes)))
