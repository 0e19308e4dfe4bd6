"""What every reference handler shares: the protocol, the limits and the small
rules about names, ETags and optional packages."""

from __future__ import annotations

import posixpath
from typing import Protocol

from archivist.core.errors import InvalidInputError, NotSupportedError
from archivist.core.manifest import Entry
from archivist.core.paths import validate_logical_path

DEFAULT_MAX_OBJECTS = 10_000_000


class ReferenceHandler(Protocol):
    """Reads one kind of URI. ``store`` turns a URI into manifest entries without
    copying data; ``load`` writes one entry's bytes to a local file and raises if
    they no longer match what was recorded; ``check`` tells, without fetching the
    bytes, whether a download would still deliver what was recorded."""

    scheme: str
    cache_downloads: bool
    """Whether downloads go through the client cache, keyed by (URI, recorded ETag)."""

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        """The entries for ``uri``; ``name`` is already a validated logical path (or None)."""
        ...

    def load(self, entry: Entry, dest_path: str) -> None:
        """Write the referenced bytes to ``dest_path``.

        ``PathNotFoundError`` (a FileNotFoundError) when the source is gone,
        ``IntegrityError`` (a ValueError, "Digest mismatch ...") when it changed.
        """
        ...

    def check(self, entry: Entry) -> str | None:
        """None when the source still matches the entry, else the reason it does not."""
        ...

    def records_checksum(self, entry: Entry) -> bool:
        """Whether the entry recorded something ``check`` can compare the source with."""
        ...


def digest_is_uri(entry: Entry) -> bool:
    """True for entries added with ``checksum=False`` (or without an ETag over HTTP):
    their digest is the URI itself, so there is nothing to compare the source with."""
    return entry.digest == entry.ref


def strip_etag(etag: str | None) -> str | None:
    """``W/"abc"`` or ``"abc"`` -> ``abc`` (providers quote ETags in headers, not in listings)."""
    if etag is None:
        return None
    value = etag.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def single_name(name: str | None, source_path: str, uri: str) -> str:
    """The logical path of a single referenced object: ``name``, else the basename of its path."""
    if name:
        return validate_logical_path(name)
    base = posixpath.basename(source_path.rstrip("/"))
    if not base:
        raise InvalidInputError(f"reference {uri!r} has no file name to use; pass name= to add_reference")
    return validate_logical_path(base)


def too_many_objects(max_objects: int, uri: str) -> InvalidInputError:
    return InvalidInputError(
        f"Exceeded {max_objects} objects tracked under {uri!r}, pass max_objects to add_reference"
    )


def missing_package(package: str, extra: str, purpose: str) -> NotSupportedError:
    """The error for an optional package that is not installed, with the command that installs it."""
    return NotSupportedError(
        f"{purpose} needs the Python package {package!r}, which is not installed; "
        f"install it with: pip install 'archivist[{extra}]'"
    )


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (object store errors append pages of debug output)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
