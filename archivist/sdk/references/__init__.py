"""Reference handlers: entries that point at data outside the store.

A handler owns one kind of URI (see ``base.ReferenceHandler``): ``store`` turns
a URI into manifest entries without copying data, ``load`` fetches one entry's
bytes and checks they still match, ``check`` compares without fetching.

    file://                                   file.py     content digest (BLAKE3)
    s3://bucket/key[?versionId=]              s3.py       ETag + version id (obstore, boto3)
    gs://bucket/key[#generation]              gcs.py      ETag + generation (google-cloud-storage)
    https://<acct>.blob.core.windows.net/...  azure.py    ETag + version id (obstore, azure-storage-blob)
    az://<container>/<blob>                   azure.py    the same, account from AZURE_STORAGE_ACCOUNT_NAME
    http(s)://...                             http.py     ETag or URL, Content-Length (httpx)
    wandb-artifact://<version id>/<path>      artifact.py the target entry's digest
    anything else (with name=)                untracked.py  the URI, never downloadable

Handlers and provider packages are imported only when their scheme is used.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from archivist.core.errors import InvalidInputError, NotSupportedError
from archivist.sdk.references.artifact import DRAFT_SCHEME, ArtifactReferenceHandler
from archivist.sdk.references.artifact import SCHEME as ARTIFACT_SCHEME
from archivist.sdk.references.base import DEFAULT_MAX_OBJECTS, ReferenceHandler

if TYPE_CHECKING:
    from archivist.sdk.context import Context

_AZURE_SHORTHANDS = ("abfs", "abfss", "wasb", "wasbs")


def scheme_of(uri: str) -> str:
    if "://" not in uri:
        raise InvalidInputError(
            f"References must be URIs, got {uri!r}. To reference a local file, use file://"
        )
    scheme = uri.split("://", 1)[0].lower()
    if not scheme:
        raise InvalidInputError(f"reference {uri!r} has no scheme before '://'")
    return scheme


def handler_for(uri: str, ctx: Context | None = None) -> ReferenceHandler:
    """The handler reading ``uri``; ``ctx`` resolves references to other artifacts."""
    scheme = scheme_of(uri)
    if scheme in ("https", "az"):
        from archivist.sdk.references.azure import AZURE_HANDLER, is_azure_url

        if is_azure_url(uri):
            return AZURE_HANDLER
    if scheme == ARTIFACT_SCHEME:
        if ctx is None:
            from archivist.sdk.context import get_context

            ctx = get_context()
        return ArtifactReferenceHandler(ctx, handler_for)
    if scheme == DRAFT_SCHEME:
        raise NotSupportedError(
            f"reference {uri!r} points into an artifact draft; log that artifact (and wait()) first, "
            "then reference its entries"
        )
    if scheme in _AZURE_SHORTHANDS:
        raise InvalidInputError(
            f"reference {uri!r}: write Azure blob references as "
            "https://<account>.blob.core.windows.net/<container>/<blob or prefix>"
        )
    return _scheme_handler(scheme)


@functools.cache
def _scheme_handler(scheme: str) -> ReferenceHandler:
    """The handler of a plain scheme, its module imported at its first reference."""
    if scheme == "file":
        from archivist.sdk.references.file import FileReferenceHandler

        return FileReferenceHandler()
    if scheme == "s3":
        from archivist.sdk.references.s3 import S3_HANDLER

        return S3_HANDLER
    if scheme == "gs":
        from archivist.sdk.references.gcs import GCS_HANDLER

        return GCS_HANDLER
    if scheme in ("http", "https"):
        from archivist.sdk.references.http import HttpReferenceHandler

        return HttpReferenceHandler(scheme)
    from archivist.sdk.references.untracked import UntrackedReferenceHandler

    return UntrackedReferenceHandler()


__all__ = [
    "DEFAULT_MAX_OBJECTS",
    "ReferenceHandler",
    "handler_for",
    "scheme_of",
]
