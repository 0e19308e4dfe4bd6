"""The one Backend protocol.

The service implements it in-process (the embedded store); the HTTP server
exposes exactly these methods and the HTTP backend calls them remotely. The SDK
only ever holds a Backend. Arguments and results are plain values or the frozen
records of ``archivist.core.models`` so every call can cross the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from archivist.core.manifest import ManifestSummary
from archivist.core.models import (
    CollectionRecord,
    CollectionUpdate,
    CommitRequest,
    CommitResult,
    Direction,
    LineageGraph,
    RunFile,
    RunRecord,
    RunRef,
    RunSpec,
    RunUpdate,
    VersionQuery,
    VersionRecord,
    VersionUpdate,
)

ProgressCallback = Callable[[int], None]
"""Called with the number of bytes just transferred."""


class BlobSink(Protocol):
    """Stores blobs in the background (``archivist.storage.store_sink.StoreSink``)."""

    def add_many(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        """Queue ``(digest, bytes)`` pairs whose bytes hash to their digest."""
        ...

    def expect(self, blobs: Sequence[tuple[str, int]]) -> None:
        """``(digest, size)`` of files whose bytes are not given: checked in the background for
        presence (a damaged stored copy counts as absent)."""
        ...

    def close(self) -> None:
        """No more blobs; finishing goes on in the background."""
        ...

    def wait(self) -> set[str]:
        """Block until every blob is stored durably; raises what made the sink fail. Returns
        the digests the store holds for sure (given and stored, or expected and found)."""
        ...


@runtime_checkable
class Backend(Protocol):
    # --- identity -------------------------------------------------------------------------
    def default_entity(self) -> str:
        """The entity used when a path names none (``local`` on the embedded store)."""
        ...

    # --- runs -----------------------------------------------------------------------------
    def upsert_run(self, spec: RunSpec) -> RunRecord:
        """Create the run, or mark an existing one with the same id running again (resume)."""
        ...

    def update_run(self, ref: RunRef, update: RunUpdate) -> RunRecord: ...

    def get_run(self, ref: RunRef) -> RunRecord:
        """``RunNotFoundError`` if absent. A running run whose process died reads as crashed."""
        ...

    def list_runs(self, entity: str, project: str) -> list[RunRecord]: ...

    def append_history(self, ref: RunRef, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append metric rows; each row carries its ``_step``."""
        ...

    def read_history(
        self, ref: RunRef, min_step: int = 0, max_step: int | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Rows with min_step <= _step < max_step, in step order, at most ``limit``."""
        ...

    def add_run_files(self, ref: RunRef, files: Sequence[RunFile]) -> None:
        """Attach stored blobs to a run under a path (``wandb.save``); replaces same paths."""
        ...

    def list_run_files(self, ref: RunRef) -> list[RunFile]: ...

    # --- blobs ----------------------------------------------------------------------------
    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        """The digests the store lacks, in one round trip."""
        ...

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: ProgressCallback | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        """Store ``(digest, local_path)`` pairs, verifying each digest as the bytes stream.

        ``FileChangedError`` names a file whose content no longer matches its digest.
        ``held``: bytes the caller already read and hashed, by digest; a backend may
        store those instead of reading the file again (the embedded store trusts
        them, as they come from this process; a server verifies them as always).
        """
        ...

    def upload_bytes(self, digest: str, data: bytes) -> None: ...

    def note_manifest(self, manifest_digest: str, summary: ManifestSummary) -> None:
        """Tell an in-process store what the manifest this process just stored holds, so that
        committing it need not read and parse it back (a server ignores it: it reads the
        manifest it received, as it must not trust a client's word)."""
        ...

    def ingest_file(self, path: str) -> tuple[str, int] | None:
        """Store a local file whose digest is not known yet, hashing it as it is copied
        (one pass), and return ``(digest, size)``; None when the store is not on this
        machine (the caller then hashes the file and uploads it when it logs)."""
        ...

    def open_blob_sink(self) -> BlobSink | None:
        """Somewhere to store small blobs the caller has just read and hashed, in the
        background while it goes on (the embedded store packs them); None for a store that is
        not on this machine (the caller keeps the bytes for its save instead)."""
        ...

    blobs_are_local: bool
    """True when the blobs are files on this machine, verified by the store when they were
    written (the embedded store): the SDK then materialises downloads straight from the store
    (``download_blobs``, optionally as hard links) without re-hashing them or keeping a second
    copy in the client cache. False for a server: the SDK verifies what arrives and caches it."""

    def download_blob(self, digest: str, dest_path: str, progress: ProgressCallback | None = None) -> None:
        """Write the blob's bytes to ``dest_path``, which must not exist (the caller makes the
        write atomic by choosing a fresh temporary name and renaming it)."""
        ...

    def download_blobs(
        self,
        items: Sequence[tuple[str, str]],
        progress: ProgressCallback | None = None,
        link: bool = False,
    ) -> None:
        """Write each ``(digest, dest_path)`` blob to ``dest_path``, many at once (a server sends
        small blobs in batches instead of one request each). A digest may appear several times.

        Each destination must not exist and its parent folder must exist. The caller guarantees
        this: an existing file is never written through (it may be a hard link to a stored
        blob), so it has to be unlinked first; the embedded store refuses it with
        ``FileExistsError``. Destinations are written in place, not through temporary names.
        The embedded store removes a destination again when writing it fails, but a process
        killed mid-way leaves the file it was writing shorter than its blob (and the HTTP
        backend may leave partial files of a failed batch); the SDK's next download into the
        same folder compares every existing file with its entry (size, then BLAKE3) and
        replaces those that differ, which repairs them.

        ``link=True`` asks for each destination to be a hard link to the store's read-only blob
        file where the store is on this machine (a copy where linking is impossible, e.g. on
        another filesystem). A remote backend ignores it: the bytes cross the network and the
        SDK links from its client cache.
        """
        ...

    def read_bytes(self, digest: str) -> bytes:
        """A small blob (a manifest) in memory."""
        ...

    def local_blob_path(self, digest: str) -> str | None:
        """A readable local file holding the blob when the store is on this machine and holds
        it as a file of its own (None for a blob inside a pack file, or on a remote store).
        Not a test of "the store is local": use ``blobs_are_local``."""
        ...

    # --- versions -------------------------------------------------------------------------
    def commit_version(self, request: CommitRequest) -> CommitResult:
        """Commit a version whose manifest and blobs are stored: allocates the next
        dense version number, moves ``latest`` and the given aliases, records the
        output edge. Identical content to a committed version returns that version."""
        ...

    def resolve_version(self, entity: str, project: str, collection: str, selector: str) -> VersionRecord:
        """``selector`` is an alias or ``vN``; ``ArtifactNotFoundError`` if nothing matches."""
        ...

    def get_version(self, version_id: str) -> VersionRecord: ...

    def list_versions(self, query: VersionQuery) -> list[VersionRecord]: ...

    def update_version(self, version_id: str, update: VersionUpdate) -> VersionRecord: ...

    def delete_version(self, version_id: str, delete_aliases: bool = False) -> None: ...

    # --- collections and types ------------------------------------------------------------
    def list_projects(self, entity: str) -> list[str]: ...

    def list_types(self, entity: str, project: str) -> list[str]: ...

    def list_collections(
        self, entity: str, project: str, type_name: str | None = None
    ) -> list[CollectionRecord]: ...

    def get_collection(self, entity: str, project: str, name: str) -> CollectionRecord: ...

    def update_collection(
        self, entity: str, project: str, name: str, update: CollectionUpdate
    ) -> CollectionRecord: ...

    def delete_collection(self, entity: str, project: str, name: str) -> None: ...

    # --- lineage --------------------------------------------------------------------------
    def record_use(self, ref: RunRef, version_id: str) -> None:
        """Record that the run used the version (an input edge); idempotent."""
        ...

    def version_producer(self, version_id: str) -> RunRecord | None: ...

    def version_consumers(self, version_id: str) -> list[RunRecord]: ...

    def run_outputs(self, ref: RunRef) -> list[VersionRecord]: ...

    def run_inputs(self, ref: RunRef) -> list[VersionRecord]: ...

    def lineage(self, node_id: str, direction: Direction, depth: int) -> LineageGraph:
        """Walk from a version id or a run path (``entity/project/run_id``) up to ``depth`` hops."""
        ...

    def close(self) -> None: ...
