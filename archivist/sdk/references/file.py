"""``file:///abs/path`` references: a file, or a directory walked recursively.

The digest is the BLAKE3 of the content (``checksum=True``) or of the URI
(``checksum=False``); a download copies the file and checks its content.
"""

from __future__ import annotations

import os
import re
import shutil
from urllib.parse import unquote, urlparse

from archivist.client.transfer.hashing import hash_file
from archivist.core.errors import IntegrityError, InvalidInputError, PathNotFoundError
from archivist.core.manifest import Entry, hash_bytes
from archivist.core.paths import join_logical, validate_logical_path
from archivist.sdk.references.base import too_many_objects
from archivist.sdk.walk import walk_files

_PLAIN_FILE_URI = re.compile(r"file:///[^%?#;\x00-\x20\x7f]*")
"""``file:///`` URIs that ``urlparse`` + ``unquote`` would return unchanged after the scheme:
no escapes, query, fragment, parameters, whitespace or control characters."""


def file_uri_path(uri: str) -> str:
    if _PLAIN_FILE_URI.fullmatch(uri):
        return uri[7:]  # the common case, without urlparse's cost (a million references add up)
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


def _unchecked(entry: Entry) -> bool:
    """Added with checksum=False: the digest is the URI's, not the content's."""
    return entry.digest == hash_bytes((entry.ref or "").encode())


class FileReferenceHandler:
    """``file:///abs/path`` to a file or a directory (walked recursively)."""

    scheme = "file"
    cache_downloads = False  # the source is a local file already

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        path = file_uri_path(uri)
        if not checksum:
            logical = name or validate_logical_path(os.path.basename(path.rstrip("/")) or "root")
            return [Entry(logical, hash_bytes(uri.encode()), 0, uri)]
        if os.path.isfile(path):
            digest, size = hash_file(path)
            logical = name or validate_logical_path(os.path.basename(path))
            return [Entry(path=logical, digest=digest, size=size, ref=_file_uri(path))]
        if not os.path.isdir(path):
            raise PathNotFoundError(f"file reference {uri!r}: {path} does not exist")
        entries: list[Entry] = []
        for abs_path, relative in walk_files(path):
            if len(entries) >= max_objects:
                raise too_many_objects(max_objects, uri)
            digest, size = hash_file(abs_path)
            logical = validate_logical_path(join_logical(name, relative))
            entries.append(Entry(path=logical, digest=digest, size=size, ref=_file_uri(abs_path)))
        return entries

    def load(self, entry: Entry, dest_path: str) -> None:
        source = file_uri_path(entry.ref or "")
        if not os.path.isfile(source):
            raise PathNotFoundError(f"reference {entry.path!r}: {source} does not exist any more")
        shutil.copyfile(source, dest_path)
        if _unchecked(entry):
            return  # checksum=False: nothing recorded to compare with
        digest, _size = hash_file(dest_path)
        if digest != entry.digest:
            os.unlink(dest_path)
            raise IntegrityError(
                f"Digest mismatch for reference {entry.path!r}: {source} changed since it was logged"
            )

    def check(self, entry: Entry) -> str | None:
        source = file_uri_path(entry.ref or "")
        if not os.path.isfile(source):
            return f"{source} does not exist any more"
        if _unchecked(entry):
            return None
        digest, _size = hash_file(source)
        return None if digest == entry.digest else f"{source} changed since it was logged"

    def records_checksum(self, entry: Entry) -> bool:
        return not _unchecked(entry)
