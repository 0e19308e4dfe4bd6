"""A ``Bucket`` over obstore (S3 and Azure blob): HEAD with ETag and version,
streamed listing, download of a given version; errors turned into Archivist's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from archivist.core.errors import (
    ArchivistError,
    AuthenticationError,
    CommError,
    InvalidInputError,
    PathNotFoundError,
    PermissionDeniedError,
)
from archivist.sdk.references.base import first_line, missing_package, strip_etag
from archivist.sdk.references.objects import ObjectInfo

if TYPE_CHECKING:
    from obstore import GetOptions

_CHUNK_BYTES = 8 * 1024 * 1024
_LIST_CHUNK = 1000
_MISSING_BUCKET_CODES = ("NoSuchBucket", "ContainerNotFound")

VersionFinder = Callable[[str, str], "str | None"]


def import_obstore(purpose: str, extra: str) -> Any:
    try:
        import obstore
    except ImportError:
        raise missing_package("obstore", extra, purpose) from None
    return obstore


def retry_config() -> dict[str, Any]:
    """Fewer retries than obstore's default (10 over up to 3 minutes): a wrong endpoint
    or a stopped server should fail within seconds, transient errors still recover."""
    return {"max_retries": 4, "retry_timeout": dt.timedelta(seconds=30)}


class ObstoreBucket:
    """One bucket through an obstore ``ObjectStore``.

    ``describe`` names the bucket in messages ("S3 bucket 'data'"), ``uri_of`` turns
    a key into the reference URI, ``find_version`` looks for an older version by
    ETag with the provider's SDK (obstore cannot list versions), ``hint`` tells
    where credentials come from.
    """

    def __init__(
        self,
        store: Any,
        describe: str,
        uri_of: Callable[[str], str],
        find_version: VersionFinder,
        hint: str,
    ) -> None:
        self._store = store
        self._describe = describe
        self._uri_of = uri_of
        self._find_version = find_version
        self._hint = hint

    def head(self, key: str, version: str | None = None) -> ObjectInfo | None:
        import obstore
        from obstore.exceptions import NotFoundError

        options: GetOptions = {"head": True}
        if version is not None:
            options["version"] = version
        try:
            result = obstore.get(self._store, key, options=options)
        except (FileNotFoundError, NotFoundError):  # obstore raises the builtin for a 404
            return None
        except Exception as error:
            raise self._translate(error, key) from None
        attributes = result.attributes
        folder = attributes.get("Content-Type", "").startswith("application/x-directory") or (
            attributes.get("hdi_isfolder", "").lower() == "true"
        )
        return self._info(result.meta, key, folder)

    def iter_prefix(self, prefix: str) -> Iterator[ObjectInfo]:
        import obstore

        stream = obstore.list(self._store, prefix.rstrip("/") or None, chunk_size=_LIST_CHUNK)
        try:
            for chunk in stream:
                for meta in chunk:
                    if meta["path"].startswith(prefix):
                        yield self._info(meta, meta["path"])
        except ArchivistError:
            raise
        except Exception as error:
            raise self._translate(error, prefix) from None

    def download(self, key: str, version: str | None, dest_path: str) -> ObjectInfo:
        import obstore

        options: GetOptions | None = {"version": version} if version is not None else None
        try:
            result = obstore.get(self._store, key, options=options)
            written = 0
            with open(dest_path, "wb") as out:
                for chunk in result.stream(min_chunk_size=_CHUNK_BYTES):
                    out.write(chunk)
                    written += len(chunk)
        except Exception as error:
            raise self._translate(error, key) from None
        info = self._info(result.meta, key)
        if written != info.size:
            raise CommError(f"download of {self._uri_of(key)} stopped after {written} of {info.size} bytes")
        return info

    def find_version(self, key: str, etag: str) -> str | None:
        return self._find_version(key, etag)

    def _info(self, meta: Any, key: str, folder: bool = False) -> ObjectInfo:
        etag = strip_etag(meta.get("e_tag"))
        if etag is None:
            raise CommError(f"{self._uri_of(key)} has no ETag; its content cannot be tracked")
        return ObjectInfo(
            key=meta.get("path") or key,
            size=int(meta["size"]),
            etag=etag,
            version=meta.get("version"),
            folder_marker=folder,
        )

    def _translate(self, error: Exception, key: str) -> ArchivistError:
        from obstore.exceptions import InvalidPathError, NotFoundError, UnauthenticatedError
        from obstore.exceptions import PermissionDeniedError as Denied

        where = self._uri_of(key)
        text = str(error)
        if any(code in text for code in _MISSING_BUCKET_CODES):
            return PathNotFoundError(f"{self._describe} does not exist")
        if isinstance(error, (FileNotFoundError, NotFoundError)):
            return PathNotFoundError(f"{where} does not exist")
        if isinstance(error, InvalidPathError):
            return InvalidInputError(f"{where} is not a key obstore can read: {first_line(error)}")
        if isinstance(error, (PermissionError, Denied)):
            return PermissionDeniedError(f"access to {where} was denied; {self._hint}")
        if isinstance(error, UnauthenticatedError):
            return AuthenticationError(f"{self._describe} refused the credentials; {self._hint}")
        return CommError(f"cannot read {where}: {first_line(error)}; {self._hint}")
