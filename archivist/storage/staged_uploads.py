"""Client uploads staged in an object store: their keys, and cleaning up those begun and
never finished.

A client's bytes land at ``incoming/<upload id>/<digest>`` and become a blob only
through ``promote_staged``, which hashes them first. The age of an upload is written in
its upload id (``new_upload_id``), so it does not depend on the store's clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import is_blob_digest
from archivist.core.transfers import CleanupReport, upload_id_created_at, validate_upload_id
from archivist.storage.s3_multipart import S3Multipart

INCOMING = "incoming/"


def parse_staging_key(key: str) -> tuple[str, str] | None:
    """``(upload id, digest)`` of a staging key, or None for anything else."""
    parts = key.split("/")
    if len(parts) != 3 or f"{parts[0]}/" != INCOMING or not is_blob_digest(parts[2]):
        return None
    try:
        return validate_upload_id(parts[1]), parts[2]
    except InvalidInputError:
        return None


class StagingArea(Protocol):
    """What cleaning up needs of an object store."""

    @property
    def supports_multipart(self) -> bool: ...

    @property
    def multipart(self) -> S3Multipart: ...

    def iter_staged(self) -> Iterator[tuple[str, str]]: ...

    def delete_staged(self, upload_id: str, digest: str) -> None: ...


def clean_stale_uploads(store: StagingArea, older_than_seconds: float, now: float | None) -> CleanupReport:
    """Abort the open multipart uploads and delete the staged objects of uploads begun more
    than ``older_than_seconds`` before ``now``."""
    cutoff = (time.time() if now is None else now) - older_than_seconds

    def is_stale(upload_id: str) -> bool:
        return upload_id_created_at(upload_id) < cutoff

    aborted = 0
    if store.supports_multipart:
        for pending in store.multipart.iter_pending(INCOMING):
            parsed = parse_staging_key(pending.key)
            if parsed is not None and is_stale(parsed[0]):
                store.multipart.abort(pending.key, pending.multipart_id)
                aborted += 1
    deleted = 0
    for upload_id, digest in list(store.iter_staged()):
        if is_stale(upload_id):
            store.delete_staged(upload_id, digest)
            deleted += 1
    return CleanupReport(aborted_uploads=aborted, deleted_staged=deleted)
