"""The Service's blob calls: presence, transfer plans, uploads and downloads, scoped on a
server to the blobs its user may read (``blob_access``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from archivist.core.digest_checks import validate_digest, validate_digests
from archivist.core.manifest import ManifestSummary
from archivist.core.progress import Progress
from archivist.core.transfers import (
    DownloadTarget,
    TransferMode,
    TransferPolicy,
    UploadCompletion,
    UploadRequest,
    UploadTarget,
)
from archivist.metadata.engine import read_transaction
from archivist.service import blob_access, blobs, transfers
from archivist.service.call_base import CallBase
from archivist.service.noted_manifests import NotedManifests


class BlobCalls(CallBase):
    upload_quota: int | None
    _noted_manifests: NotedManifests

    # --- blobs ----------------------------------------------------------------------------
    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        """The digests the store lacks, and, on a server, those the user may not read (they
        must send the bytes to prove they hold them)."""
        missing = blobs.missing_blobs(self.store, digests)
        if blob_access.sees_every_blob(self.access):
            return missing
        asked = list(dict.fromkeys(digests))
        with read_transaction(self.engine) as connection:
            shown = blob_access.readable(connection, self.access, set(asked).difference(missing))
        return [digest for digest in asked if digest not in shown]

    def require_readable(self, digests: Sequence[str]) -> None:
        """``BlobNotFoundError`` for a blob the user may not read (worded as for an absent one)."""
        if not blob_access.sees_every_blob(self.access):
            with read_transaction(self.engine) as connection:
                blob_access.require_readable(connection, self.access, validate_digests(digests))

    def reserve_uploads(self, sizes: Mapping[str, int]) -> None:
        """Count planned uploads (digest -> bytes) against the user's upload quota; they are
        held from the collector from now on (an administrator's too)."""
        if self.access is not None and sizes:
            with self._writing() as connection:
                blob_access.reserve(connection, self.access, sizes, self.upload_quota)

    def confirm_uploads(self, sizes: Mapping[str, int]) -> None:
        """The server verified these uploaded bytes: the user may read them until a commit
        references them (``blob_access``)."""
        if self.access is not None and sizes:
            with self._writing() as connection:
                blob_access.confirm(connection, self.access, sizes)

    def upload_plan(self, requests: Sequence[UploadRequest], policy: TransferPolicy) -> list[UploadTarget]:
        """How to send each blob (``service.transfers``); a blob the user may not read is to be
        sent like a missing one, and every upload to make is reserved against their quota."""
        targets = transfers.plan_uploads(self.store, requests, policy, shown=self._shown_blobs)
        self.reserve_uploads({t.digest: t.size for t in targets if t.mode is not TransferMode.STORED})
        return targets

    def upload_complete(self, completions: Sequence[UploadCompletion]) -> list[str]:
        """Verify and store direct uploads; the user may then read them."""
        if not blob_access.sees_every_blob(self.access):
            with read_transaction(self.engine) as connection:
                digests = [getattr(completion, "digest", None) for completion in completions]
                blob_access.require_reserved(connection, self.access, digests)
        stored = transfers.complete_uploads(self.store, completions)
        self.confirm_uploads(dict.fromkeys(stored, 0))  # reserved: their sizes are counted already
        return stored

    def download_plan(self, digests: Sequence[str], policy: TransferPolicy) -> list[DownloadTarget]:
        """How to fetch each blob; ``BlobNotFoundError`` for one the user may not read."""
        self.require_readable(digests)
        return transfers.plan_downloads(self.store, digests, policy)

    def _shown_blobs(self, present: Sequence[str]) -> set[str]:
        with read_transaction(self.engine) as connection:
            return blob_access.readable(connection, self.access, present)

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        blobs.upload_files(self.store, files, progress, held)

    def upload_bytes(self, digest: str, data: bytes) -> None:
        self.store.put_bytes(validate_digest(digest), data)

    def note_manifest(self, manifest_digest: str, summary: ManifestSummary) -> None:
        """What the manifest this process just stored holds, handed to its commit (the
        embedded store's ``upload_manifest``; a server's clients are never taken at their word)."""
        self._noted_manifests.note(manifest_digest, summary)

    def download_blob(self, digest: str, dest_path: str, progress: Progress | None = None) -> None:
        self.require_readable([digest])
        blobs.download_blob(self.store, digest, dest_path, progress)

    def download_blobs(
        self, items: Sequence[tuple[str, str]], progress: Progress | None = None, link: bool = False
    ) -> None:
        self.require_readable([digest for digest, _ in items])
        blobs.download_blobs(self.store, items, progress, link)

    def read_bytes(self, digest: str) -> bytes:
        self.require_readable([digest])
        return blobs.read_bytes(self.store, digest)

    def local_blob_path(self, digest: str) -> str | None:
        """The store's own file of the blob (the UI serves it as it is); None for a blob in
        a pack or an object store."""
        self.require_readable([validate_digest(digest)])
        return self.store.local_path(digest)
