"""The Backend the SDK holds: the metadata calls declared in ``archivist.core.backend``,
plus the blob calls of the client side."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from archivist.core.backend import Backend as MetadataBackend
from archivist.core.manifest import ManifestSummary

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
class Backend(MetadataBackend, Protocol):
    """The metadata calls (``archivist.core.backend``) and, for now, the blob calls the SDK
    makes of the same object; the blob calls are moving to a BlobTransfer protocol of their own."""

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
