"""Checks of blob digests given as request values, shared by the service (which receives
them) and the HTTP client (which checks a server's answers). Each raises
``InvalidInputError`` naming the value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import is_blob_digest


def validate_digest(value: object, what: str = "digest") -> str:
    if not isinstance(value, str) or not is_blob_digest(value):
        raise InvalidInputError(f"invalid {what} {value!r}: expected 64 lowercase hex characters (BLAKE3)")
    return value


def validate_digests(values: Iterable[object]) -> list[str]:
    if isinstance(values, str):
        raise InvalidInputError(f"expected a list of digests, got the string {values!r}")
    return [validate_digest(value) for value in values]
