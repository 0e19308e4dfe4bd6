"""What the collector reports: a run's plan or result, why a blob is kept, how many bytes a
scope holds; and the durations its grace periods are written in (``7d``, ``12h``, ``0s``).

Pure values: the service computes them (``archivist.service.gc``, ``blob_holders``,
``storage_usage``), the CLI, SDK and UI show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError

DEFAULT_GRACE_SECONDS = 7 * 24 * 3600.0
"""How long a soft-deleted version stays restorable before the collector purges it."""
BLOB_GRACE_SECONDS = 3600.0
"""An unreferenced blob younger than this (or than the grace, if shorter) is kept: it may
belong to a log still uploading on an embedded store (a server's uploads hold grants)."""
STAGED_UPLOAD_GRACE_SECONDS = 24 * 3600.0
"""A staged upload in an object store younger than this (or the grace) may still complete."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``'7d'``, ``'12h'``, ``'30m'``, ``'0s'``, ``'2w'`` or a bare number of seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise InvalidInputError(
            f"invalid duration {text!r}: use a number with an optional unit s, m, h, d or w, e.g. '7d', '0s'"
        )
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def validate_grace(grace_seconds: object) -> float:
    if (
        isinstance(grace_seconds, bool)
        or not isinstance(grace_seconds, (int, float))
        or not grace_seconds >= 0  # NaN too
    ):
        raise InvalidInputError(f"invalid grace period {grace_seconds!r}: use a number of seconds >= 0")
    return float(grace_seconds)


@dataclass(frozen=True)
class GcReport:
    """A collection's plan (``dry_run``) or what it did. The same store gives the same
    ``purged_versions``, ``removed_blobs`` and ``removed_bytes`` either way."""

    dry_run: bool
    grace_seconds: float
    swept_versions: int
    """Versions the sweep soft-deleted (expired TTLs, retention rules) before purging."""
    purged_versions: tuple[str, ...]
    """``entity/project/collection:vN`` of each soft-deleted version purged (rows removed)."""
    removed_blobs: int
    removed_bytes: int
    compacted_bytes: int
    """Bytes reclaimed by rewriting packs whose live share fell low (0 in a dry run)."""
    dropped_uploads: int
    """Stale staged uploads and multipart uploads dropped (0 in a dry run)."""
    leftover_bytes: int
    """Bytes of files left by killed writers removed (0 in a dry run)."""
    kept_deleted_versions: int
    """Soft-deleted versions still within their grace period (restorable)."""

    @property
    def reclaimed_bytes(self) -> int:
        return self.removed_bytes + self.compacted_bytes + self.leftover_bytes


@dataclass(frozen=True)
class BlobHolders:
    """Why a blob is kept (or would go): everything that holds it."""

    digest: str
    stored: bool
    size: int | None
    versions: tuple[str, ...]
    """Versions whose manifest names the blob (or that are that manifest), soft-deleted ones
    marked ``(deleted)``: they hold it until purged."""
    chains: tuple[str, ...]
    """Versions that need it through their base chain (a base's blob row names it)."""
    run_files: tuple[str, ...]
    """``entity/project/run_id:path`` of run files pointing at it."""
    upload_grants: int
    """Uploads not yet committed that hold it."""

    @property
    def kept(self) -> bool:
        return bool(self.versions or self.chains or self.run_files or self.upload_grants)


@dataclass(frozen=True)
class StorageUsage:
    """Bytes a scope (an entity, a project or a collection) holds in the store. Every
    version counts, soft-deleted ones too (they hold bytes until purged)."""

    scope: str
    versions: int
    blobs: int
    total_bytes: int
    exclusive_bytes: int
    """Bytes of blobs only this scope holds: what deleting it (and collecting) would free."""
    shared_bytes: int
    """Bytes of blobs another scope (or a run file, or an upload) holds too."""
