"""One manifest entry and the checks every entry read from a manifest passes.

An artifact can hold a million entries, so an entry is small: a frozen slotted
dataclass whose ``extra`` is one shared empty mapping unless a reference
handler recorded something.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import blake3

from archivist.core.errors import IntegrityError, InvalidInputError
from archivist.core.paths import validate_logical_path

_HEX_DIGEST_LENGTH = 64
_BLOB_DIGEST = re.compile(f"[0-9a-f]{{{_HEX_DIGEST_LENGTH}}}")


def hash_bytes(data: bytes) -> str:
    """Hex BLAKE3 digest of ``data``."""
    return blake3.blake3(data).hexdigest()


EMPTY_BLOB_DIGEST = blake3.blake3(b"").hexdigest()
"""The one digest whose blob holds no bytes: a stored blob of 0 bytes under any other is damaged."""


def is_blob_digest(value: str) -> bool:
    # A compiled regex: checked once per stored file, so its speed shows on 20,000-file adds.
    return _BLOB_DIGEST.fullmatch(value) is not None


class _NoExtra(Mapping[str, Any]):
    """The empty, immutable (and hashable) ``extra`` shared by every entry that has none."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and len(other) == 0

    def __repr__(self) -> str:
        return "{}"


NO_EXTRA: Mapping[str, Any] = _NoExtra()


@dataclass(frozen=True, slots=True)
class Entry:
    """One file or reference inside a version.

    ``digest`` is the hex BLAKE3 of the content for stored files; for references
    it is what the reference handler records (a content digest, an ETag, or the
    URI itself when ``checksum=False``).
    """

    path: str
    digest: str
    size: int = 0
    ref: str | None = None
    extra: Mapping[str, Any] = NO_EXTRA
    birth_artifact_id: str | None = None

    @property
    def is_reference(self) -> bool:
        return self.ref is not None

    def to_json(self) -> dict[str, Any]:
        """The entry's fields as manifest v1 writes them (the path is the key, not a field)."""
        out: dict[str, Any] = {"digest": self.digest, "size": self.size}
        if self.ref is not None:
            out["ref"] = self.ref
        if self.extra:
            out["extra"] = dict(self.extra)
        if self.birth_artifact_id is not None:
            out["birthArtifactID"] = self.birth_artifact_id
        return out

    @classmethod
    def from_json(cls, path: str, data: Mapping[str, Any]) -> Entry:
        return entry_from_json(path, data)


def entry_from_json(path: object, data: object, line: int = 0) -> Entry:
    """Check one entry read from a manifest; ``line`` (when known) is named in errors.

    The path must be a safe logical path (``InvalidInputError``: a download must never
    escape its root); anything else malformed is an ``IntegrityError``.
    """
    if type(data) is not dict:
        raise IntegrityError(f"{_where(line)}: an entry must be a JSON object, got {type(data).__name__}")
    if path is None:
        raise IntegrityError(f"{_where(line)}: the entry has no path")
    try:
        logical = validate_logical_path(path)
    except InvalidInputError as error:
        raise InvalidInputError(f"{_where(line)}: {error.message}") from None
    digest = data.get("digest")
    size = data.get("size", 0)
    ref = data.get("ref")
    extra = data.get("extra")
    birth = data.get("birthArtifactID")
    if type(digest) is not str or not digest:
        raise IntegrityError(f"{_where(line)}: entry {logical!r} has no digest")
    if type(size) is not int or size < 0:
        raise IntegrityError(f"{_where(line)}: entry {logical!r} has an invalid size {size!r}")
    if ref is None:
        if not is_blob_digest(digest):
            raise IntegrityError(f"{_where(line)}: entry {logical!r} has a malformed digest {digest!r}")
    elif type(ref) is not str:
        raise IntegrityError(f"{_where(line)}: entry {logical!r} has a non-string ref {ref!r}")
    if extra is not None and type(extra) is not dict:
        raise IntegrityError(f"{_where(line)}: entry {logical!r} has an 'extra' that is not an object")
    if birth is not None and type(birth) is not str:
        raise IntegrityError(f"{_where(line)}: entry {logical!r} has a non-string birthArtifactID {birth!r}")
    return Entry(logical, digest, size, ref, extra or NO_EXTRA, birth)


def _where(line: int) -> str:
    return f"manifest line {line}" if line else "manifest"
