"""References into object stores (S3, GCS, Azure blob): the rules they share.

Each provider module supplies a URI grammar and a ``Bucket`` (head, list,
download, find an older version by ETag); this module turns those into
manifest entries and checks them:

- A URI naming an object records one entry: digest = its ETag, ``extra`` keeps
  ``etag`` and ``versionID`` (when the store keeps versions). An explicit
  version in the URI (``?versionId=`` or ``#generation``) pins that version.
- A URI naming no object (or ending in ``/``, or a folder marker) is a prefix:
  every object under ``prefix/`` becomes ``<name>/<path relative to prefix>``,
  zero-byte objects (folder markers) skipped. The listing streams; only the
  entries themselves are kept.
- ``checksum=False`` records one entry whose digest is the URI; nothing is read.
- Download: a recorded version is fetched as that version and its ETag must
  match; without one the current object is used if its ETag matches, else an
  older version with the recorded ETag (versioned buckets), else the entry is
  reported changed (``IntegrityError``) or gone (``PathNotFoundError``).
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from archivist.core.errors import IntegrityError, InvalidInputError, NotFoundError, PathNotFoundError
from archivist.core.manifest import Entry
from archivist.core.paths import join_logical, validate_logical_path
from archivist.sdk.references.base import digest_is_uri, single_name, too_many_objects
from archivist.sdk.termlog import count_progress, termlog

_SLOW_LISTING_SECONDS = 2.0


@dataclass(frozen=True)
class ObjectInfo:
    """What a store says about one object (ETag without quotes)."""

    key: str
    size: int
    etag: str
    version: str | None = None
    folder_marker: bool = False


@dataclass(frozen=True)
class ObjectLocation:
    """A parsed reference URI: the bucket (or account/container), the key, a pinned version."""

    bucket: str
    key: str
    version: str | None = None


class Bucket(Protocol):
    """One bucket (container) of an object store, opened with the provider's credentials."""

    def head(self, key: str, version: str | None = None) -> ObjectInfo | None:
        """The object's metadata, None when it (or that version) does not exist."""
        ...

    def iter_prefix(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` ("" = the whole bucket), streamed.

        ``PathNotFoundError`` naming the bucket when the bucket does not exist.
        """
        ...

    def download(self, key: str, version: str | None, dest_path: str) -> ObjectInfo:
        """Write the object (that version, or the current one) to ``dest_path``; the
        returned metadata describes the bytes written. ``PathNotFoundError`` if absent."""
        ...

    def find_version(self, key: str, etag: str) -> str | None:
        """The id of a stored version of ``key`` whose ETag is ``etag`` (None if there is none)."""
        ...


def _check_key(uri: str, key: str) -> None:
    """Keys become logical paths (and obstore paths): no empty, '.' or '..' segments."""
    if key and any(part in ("", ".", "..") for part in key.rstrip("/").split("/")):
        raise InvalidInputError(
            f"reference {uri!r}: key {key!r} has an empty, '.' or '..' segment, which cannot be "
            "a path inside an artifact"
        )


class ObjectStoreReferenceHandler:
    """A ReferenceHandler for one object store scheme."""

    cache_downloads = True

    def __init__(
        self,
        scheme: str,
        parse: Callable[[str], ObjectLocation],
        uri_of: Callable[[str, str], str],
        open_bucket: Callable[[str], Bucket],
    ) -> None:
        self.scheme = scheme
        self._parse = parse
        self._uri_of = uri_of
        self._open_bucket = open_bucket

    # --- store ---------------------------------------------------------------------
    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        location = self._parse(uri)
        _check_key(uri, location.key)
        if not checksum:
            logical = name or posixpath.basename(location.key.rstrip("/")) or location.bucket
            return [Entry(path=validate_logical_path(logical), digest=uri, size=0, ref=uri)]
        bucket = self._open_bucket(location.bucket)
        if location.key and not location.key.endswith("/"):
            found = bucket.head(location.key, location.version)
            if found is None and location.version is not None:
                raise NotFoundError(
                    f"reference {uri!r}: version {location.version!r} of {location.key!r} does not exist"
                )
            if found is not None and not found.folder_marker:
                logical = single_name(name, location.key, uri)
                return [self._entry(found, logical, location.bucket)]
        return self._store_prefix(bucket, location, uri, name, max_objects)

    def _store_prefix(
        self, bucket: Bucket, location: ObjectLocation, uri: str, name: str | None, max_objects: int
    ) -> list[Entry]:
        prefix = location.key.rstrip("/")
        listed_prefix = f"{prefix}/" if prefix else ""
        entries: list[Entry] = []
        started = time.monotonic()
        with count_progress(f"Listing {uri}", "objects") as advance:
            for found in bucket.iter_prefix(listed_prefix):
                advance(1)
                if found.size == 0 or found.key.endswith("/"):
                    continue  # folder markers and empty objects
                if len(entries) >= max_objects:
                    raise too_many_objects(max_objects, uri)
                relative = found.key[len(listed_prefix) :]
                logical = validate_logical_path(join_logical(name, relative))
                entries.append(self._entry(found, logical, location.bucket))
        if not entries:
            where = f"under {listed_prefix!r}" if listed_prefix else "at all"
            raise PathNotFoundError(
                f"reference {uri!r}: no object {prefix!r} and no objects {where} in {location.bucket!r}"
            )
        elapsed = time.monotonic() - started
        if elapsed > _SLOW_LISTING_SECONDS:
            termlog(f"tracked {len(entries):,} objects under {uri} in {elapsed:.1f}s")
        return entries

    def _entry(self, found: ObjectInfo, logical: str, bucket: str) -> Entry:
        extra: dict[str, str] = {"etag": found.etag}
        if found.version and found.version != "null":
            extra["versionID"] = found.version
        return Entry(
            path=logical,
            digest=found.etag,
            size=found.size,
            ref=self._uri_of(bucket, found.key),
            extra=extra,
        )

    # --- load and check -----------------------------------------------------------------
    def load(self, entry: Entry, dest_path: str) -> None:
        location = self._parse(entry.ref or "")
        bucket = self._open_bucket(location.bucket)
        if digest_is_uri(entry):  # checksum=False: whatever is there now
            self._download_unchecked(bucket, location, entry, dest_path)
            return
        recorded = self._recorded_version(entry) or location.version
        if recorded is not None:
            try:
                fetched: ObjectInfo | None = bucket.download(location.key, recorded, dest_path)
            except PathNotFoundError:
                fetched = None  # that version is gone: look at what is there now
            if fetched is not None:
                if fetched.etag != entry.digest:
                    raise self._drift(entry, fetched)
                return
        current = bucket.head(location.key)
        if current is not None and current.etag == entry.digest:
            version = current.version
        else:
            version = bucket.find_version(location.key, entry.digest)
            if version is None:
                raise self._drift(entry, current)
        fetched = self._download(bucket, location.key, version, dest_path, entry)
        if fetched.etag != entry.digest:
            raise self._drift(entry, fetched)

    def check(self, entry: Entry) -> str | None:
        if digest_is_uri(entry):
            return None
        location = self._parse(entry.ref or "")
        bucket = self._open_bucket(location.bucket)
        recorded = self._recorded_version(entry) or location.version
        if recorded is not None:
            pinned = bucket.head(location.key, recorded)
            if pinned is not None:
                if pinned.etag == entry.digest:
                    return None
                return f"version {recorded} of {entry.ref} has ETag {pinned.etag}, logged {entry.digest}"
        current = bucket.head(location.key)
        if current is not None and current.etag == entry.digest:
            return None
        if bucket.find_version(location.key, entry.digest) is not None:
            return None  # overwritten, but the logged version is still stored
        if current is None:
            return f"{entry.ref} does not exist any more"
        return f"{entry.ref} changed since it was logged (ETag {current.etag}, logged {entry.digest})"

    def records_checksum(self, entry: Entry) -> bool:
        return not digest_is_uri(entry)

    # --- helpers ---------------------------------------------------------------------
    @staticmethod
    def _recorded_version(entry: Entry) -> str | None:
        version = entry.extra.get("versionID")
        return str(version) if version not in (None, "", "null") else None

    def _download(
        self, bucket: Bucket, key: str, version: str | None, dest_path: str, entry: Entry
    ) -> ObjectInfo:
        try:
            return bucket.download(key, version, dest_path)
        except PathNotFoundError:
            what = f"version {version} of {entry.ref}" if version else entry.ref
            raise PathNotFoundError(f"reference {entry.path!r}: {what} does not exist any more") from None

    def _download_unchecked(
        self, bucket: Bucket, location: ObjectLocation, entry: Entry, dest_path: str
    ) -> None:
        if not location.key or location.key.endswith("/"):
            raise PathNotFoundError(
                f"reference {entry.path!r} ({entry.ref}) was added with checksum=False as a prefix; "
                "it names no object and cannot be downloaded"
            )
        self._download(bucket, location.key, location.version, dest_path, entry)

    @staticmethod
    def _drift(entry: Entry, now: ObjectInfo | None) -> Exception:
        if now is None:
            return PathNotFoundError(f"reference {entry.path!r}: {entry.ref} does not exist any more")
        return IntegrityError(
            f"Digest mismatch for reference {entry.path!r}: {entry.ref} changed since it was logged "
            f"(ETag now {now.etag}, logged {entry.digest}) and no stored version has the logged ETag"
        )
