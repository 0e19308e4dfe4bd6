"""Reference handlers: entries that point at data outside the store.

A handler owns one URI scheme. ``store`` turns a URI into manifest entries
without copying data; ``load`` fetches one entry's bytes to a local file and
checks they still match what was recorded; ``check`` tells whether the source
still matches without fetching it. This issue ships ``file://``; other schemes
plug into ``HANDLERS`` (s3, gs, azure, http come with the references issue).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Protocol
from urllib.parse import unquote, urlparse

from archivist.core.errors import IntegrityError, InvalidInputError, PathNotFoundError
from archivist.core.manifest import Entry, hash_bytes
from archivist.core.paths import join_logical, validate_logical_path
from archivist.sdk.hashing import hash_file
from archivist.sdk.walk import walk_files

DEFAULT_MAX_OBJECTS = 10_000_000
PLANNED_SCHEMES = ("s3", "gs", "az", "http", "https")


class ReferenceHandler(Protocol):
    scheme: str

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]: ...

    def load(self, entry: Entry, dest_path: str) -> None:
        """Write the referenced bytes to ``dest_path``; raise if they no longer match."""
        ...

    def check(self, entry: Entry) -> str | None:
        """None when the source still matches the entry, else a reason."""
        ...


def scheme_of(uri: str) -> str:
    if "://" not in uri:
        raise InvalidInputError(
            f"References must be URIs, got {uri!r}. To reference a local file, use file://"
        )
    return uri.split("://", 1)[0].lower()


def _file_uri_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise InvalidInputError(
            f"file reference {uri!r} names host {parsed.netloc!r}; use file:///absolute/path"
        )
    path = unquote(parsed.path)
    if not os.path.isabs(path):
        raise InvalidInputError(f"file reference {uri!r} must hold an absolute path (file:///...)")
    return path


def _file_uri(path: str) -> str:
    return "file://" + os.path.abspath(path)


class FileReferenceHandler:
    """``file:///abs/path`` to a file or a directory (walked recursively)."""

    scheme = "file"

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        path = _file_uri_path(uri)
        if not checksum:
            logical = validate_logical_path(name or os.path.basename(path.rstrip("/")) or "root")
            return [Entry(path=logical, digest=hash_bytes(uri.encode()), size=0, ref=uri)]
        if os.path.isfile(path):
            digest, size = hash_file(path)
            logical = validate_logical_path(name or os.path.basename(path))
            return [Entry(path=logical, digest=digest, size=size, ref=_file_uri(path))]
        if not os.path.isdir(path):
            raise PathNotFoundError(f"file reference {uri!r}: {path} does not exist")
        entries: list[Entry] = []
        for abs_path, relative in walk_files(path):
            if len(entries) >= max_objects:
                raise InvalidInputError(
                    f"Exceeded {max_objects} objects tracked under {uri!r}, pass max_objects to add_reference"
                )
            digest, size = hash_file(abs_path)
            logical = validate_logical_path(join_logical(name, relative))
            entries.append(Entry(path=logical, digest=digest, size=size, ref=_file_uri(abs_path)))
        return entries

    def load(self, entry: Entry, dest_path: str) -> None:
        source = _file_uri_path(entry.ref or "")
        if not os.path.isfile(source):
            raise PathNotFoundError(f"reference {entry.path!r}: {source} does not exist any more")
        _copy(source, dest_path)
        if entry.digest == hash_bytes((entry.ref or "").encode()):
            return  # checksum=False: nothing recorded to compare with
        digest, _size = hash_file(dest_path)
        if digest != entry.digest:
            os.unlink(dest_path)
            raise IntegrityError(
                f"Digest mismatch for reference {entry.path!r}: {source} changed since it was logged"
            )

    def check(self, entry: Entry) -> str | None:
        source = _file_uri_path(entry.ref or "")
        if not os.path.isfile(source):
            return f"{source} does not exist"
        if entry.digest == hash_bytes((entry.ref or "").encode()):
            return None
        digest, _size = hash_file(source)
        return None if digest == entry.digest else f"{source} changed since it was logged"


class UntrackedReferenceHandler:
    """Any scheme nobody handles: recorded by URI only, never downloadable."""

    scheme = "*"

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        if not name:
            raise InvalidInputError(
                f"reference {uri!r} has a scheme Archivist cannot read; pass name= to track it by URI"
            )
        return [Entry(path=validate_logical_path(name), digest=uri, size=0, ref=uri)]

    def load(self, entry: Entry, dest_path: str) -> None:
        raise InvalidInputError(
            f"reference {entry.path!r} ({entry.ref}): scheme not recognized, it cannot be downloaded"
        )

    def check(self, entry: Entry) -> str | None:
        return None


HANDLERS: dict[str, ReferenceHandler] = {"file": FileReferenceHandler()}
_UNTRACKED = UntrackedReferenceHandler()


def handler_for(uri: str) -> ReferenceHandler:
    scheme = scheme_of(uri)
    handler = HANDLERS.get(scheme)
    if handler is not None:
        return handler
    if scheme in PLANNED_SCHEMES:
        raise InvalidInputError(
            f"references with scheme {scheme}:// are not supported yet; this version reads file:// references"
        )
    return _UNTRACKED


def _copy(source: str, dest_path: str) -> None:
    import shutil

    shutil.copyfile(source, dest_path)


def iter_reference_problems(entries: list[Entry]) -> Iterator[tuple[Entry, str]]:
    """Each reference entry whose source no longer matches, with the reason."""
    for entry in entries:
        if entry.ref is None:
            continue
        reason = handler_for(entry.ref).check(entry)
        if reason is not None:
            yield entry, reason
