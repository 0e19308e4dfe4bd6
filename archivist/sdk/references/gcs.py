"""``gs://bucket/key[#generation]`` references, read with google-cloud-storage.

Credentials are Google's Application Default Credentials
(``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud auth application-default login``,
the metadata server); ``STORAGE_EMULATOR_HOST`` points at an emulator. obstore
is not used for GCS: it speaks the XML API, which the emulators we test
against do not serve, and cannot list object generations; the JSON API client
does both (generation = the version id).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from archivist.core.errors import (
    ArchivistError,
    AuthenticationError,
    CommError,
    InvalidInputError,
    PathNotFoundError,
    PermissionDeniedError,
)
from archivist.sdk.references.base import first_line, missing_package, strip_etag
from archivist.sdk.references.objects import ObjectInfo, ObjectLocation, ObjectStoreReferenceHandler
from archivist.sdk.references.uris import environment, split_bucket_uri

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,221}")
_HINT = (
    "credentials come from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS or "
    "'gcloud auth application-default login'); check them and the bucket name"
)


def parse_gcs_uri(uri: str) -> ObjectLocation:
    parts = split_bucket_uri(uri, "GCS", _BUCKET_NAME, "lowercase letters, digits, '.', '-', '_'")
    if parts.query:
        raise InvalidInputError(f"GCS reference {uri!r} has a query; pin a generation with #<generation>")
    generation = parts.fragment or None
    if generation is not None and not generation.isdigit():
        raise InvalidInputError(
            f"GCS reference {uri!r}: generation {generation!r} is not a number (gs://bucket/key#<generation>)"
        )
    return ObjectLocation(bucket=parts.netloc, key=parts.path.lstrip("/"), version=generation)


def gcs_uri(bucket: str, key: str) -> str:
    return f"gs://{bucket}/{key}"


def open_gcs_bucket(bucket: str) -> GCSBucket:
    return GCSBucket(bucket, _client(environment("GOOGLE_", "GCLOUD", "STORAGE_EMULATOR")))


@functools.lru_cache(maxsize=8)
def _client(google_environment: tuple[tuple[str, str], ...]) -> Any:
    try:
        from google.cloud import storage
    except ImportError:
        raise missing_package("google-cloud-storage", "gcs", "gs:// references") from None
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return storage.Client()
    except DefaultCredentialsError as error:
        raise AuthenticationError(
            f"no Google Cloud credentials found ({first_line(error)}); {_HINT}"
        ) from None


class GCSBucket:
    """One GCS bucket through the JSON API client."""

    def __init__(self, name: str, client: Any) -> None:
        self._name = name
        self._client = client
        self._bucket = client.bucket(name)

    def head(self, key: str, version: str | None = None) -> ObjectInfo | None:
        blob = self._get_blob(key, version)
        return None if blob is None else self._info(blob, folder=key.endswith("/"))

    def iter_prefix(self, prefix: str) -> Iterator[ObjectInfo]:
        try:
            for blob in self._client.list_blobs(self._name, prefix=prefix or None):
                yield self._info(blob)
        except ArchivistError:
            raise
        except Exception as error:
            raise self._translate(error, prefix) from None

    def download(self, key: str, version: str | None, dest_path: str) -> ObjectInfo:
        blob = self._get_blob(key, version)
        if blob is None:
            raise PathNotFoundError(f"{self._where(key, version)} does not exist")
        info = self._info(blob)  # before the download, which overwrites the blob's fields from headers
        try:
            blob.download_to_filename(dest_path)  # pinned to the generation just read
        except Exception as error:
            raise self._translate(error, key, missing=f"{self._where(key, version)} does not exist") from None
        return info

    def _get_blob(self, key: str, version: str | None) -> Any:
        generation = int(version) if version is not None else None
        try:
            blob = self._bucket.get_blob(key, generation=generation)
        except Exception as error:
            raise self._translate(error, key) from None
        if blob is not None and generation is not None and blob.generation != generation:
            return None  # a server that ignores the generation answered with another one
        return blob

    def find_version(self, key: str, etag: str) -> str | None:
        try:
            for blob in self._client.list_blobs(self._name, prefix=key, versions=True):
                if blob.name == key and strip_etag(blob.etag) == etag:
                    return str(blob.generation)
        except Exception as error:
            raise self._translate(error, key) from None
        return None

    def _info(self, blob: Any, folder: bool = False) -> ObjectInfo:
        etag = strip_etag(blob.etag)
        if etag is None:
            raise CommError(f"{gcs_uri(self._name, blob.name)} has no ETag; its content cannot be tracked")
        generation = blob.generation
        return ObjectInfo(
            key=blob.name,
            size=int(blob.size or 0),
            etag=etag,
            version=str(generation) if generation is not None else None,
            folder_marker=folder,
        )

    def _where(self, key: str, version: str | None) -> str:
        uri = gcs_uri(self._name, key)
        return f"generation {version} of {uri}" if version else uri

    def _translate(self, error: Exception, key: str, missing: str | None = None) -> ArchivistError:
        from google.api_core import exceptions as api

        if isinstance(error, api.NotFound):
            return PathNotFoundError(missing or f"GCS bucket {self._name!r} does not exist")
        if isinstance(error, api.Unauthorized):
            return AuthenticationError(f"GCS refused the credentials for {self._name!r}; {_HINT}")
        if isinstance(error, api.Forbidden):
            return PermissionDeniedError(f"access to {gcs_uri(self._name, key)} was denied; {_HINT}")
        return CommError(f"cannot read {gcs_uri(self._name, key)}: {first_line(error)}")


GCS_HANDLER = ObjectStoreReferenceHandler("gs", parse_gcs_uri, gcs_uri, open_gcs_bucket)
