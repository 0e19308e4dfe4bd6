"""The BlobTransfer protocol: how the SDK moves blob bytes to and from the store.

Metadata calls go through ``archivist.core.backend.Backend``; bytes go through a
BlobTransfer. There are two: the embedded store's (``archivist.service.embedded_transfer``,
the folder store on this machine) and a server's (``archivist.client.transfer.
http_blob_transfer``, through the client cache). Every member means the same on both;
what differs between them (packing while hashing, linking from the store or from the
cache, which blobs a save must ask about) is the body of a method, never a flag the
caller tests.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import BinaryIO, Protocol, runtime_checkable

from archivist.core.manifest import Entry, ManifestSummary
from archivist.core.progress import Progress


class BlobSink(Protocol):
    """Takes blobs the caller has just read and hashed while it goes on hashing: the embedded
    store packs them in the background, a server's transfer keeps them for the upload (in
    memory, past a budget in the client cache). Every blob given is kept as given."""

    def add_many(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        """Queue ``(digest, bytes)`` pairs whose bytes hash to their digest."""
        ...

    def expect(self, blobs: Sequence[tuple[str, int]]) -> None:
        """``(digest, size)`` of files whose bytes are not given: the store may check in the
        background that it holds them (a damaged stored copy counts as absent)."""
        ...

    def close(self) -> None:
        """No more blobs; finishing goes on in the background."""
        ...

    def wait(self) -> set[str]:
        """Block until the sink is done; raises what made it fail. Returns the digests the
        store holds for sure (given and stored, or expected and found)."""
        ...


@runtime_checkable
class BlobTransfer(Protocol):
    """Moving blob bytes between this process and the store (see the module docstring)."""

    # --- sending --------------------------------------------------------------------------
    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        """The digests the store lacks (or, on a server, the user may not read), in the order
        asked, each once; one round trip."""
        ...

    def blobs_to_send(
        self, wanted: Collection[str], with_files: Collection[str], stored: Collection[str]
    ) -> list[str]:
        """Which of ``wanted`` a save must send: ``with_files`` have a local file to send
        from, ``stored`` are held for sure already (what a sink answered). The embedded store
        skips what it holds as it stores, so it asks only about blobs without a file; a
        server is asked about every blob, as its bytes cross the network."""
        ...

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        """Store ``(digest, local_path)`` pairs, verifying each digest as the bytes go.

        ``FileChangedError`` names a file whose content no longer matches its digest.
        ``held``: bytes the caller already read and hashed, by digest, sent instead of
        reading the file again (the embedded store trusts them, as they come from this
        process; a server verifies them as always).
        """
        ...

    def upload_bytes(self, digest: str, data: bytes) -> None:
        """Store one small blob held in memory (verified against its digest)."""
        ...

    def upload_manifest(self, digest: str, source: bytes | str, summary: ManifestSummary) -> None:
        """Store a serialised manifest: its bytes, or the path of a file holding them. The
        embedded store also keeps ``summary`` for the commit, so that committing need not read
        the manifest back; a server reads back what it received (a client's word is no proof)."""
        ...

    def ingest_file(self, path: str) -> tuple[str, int]:
        """Hash a local file in one pass, keep its bytes as they are now until they are
        logged, and return ``(digest, size)`` of those bytes: the embedded store stores them
        in that same pass (so logging it reads it once), a server's transfer copies them into
        the client cache and uploads that copy when logged, only if the server lacks it. A
        change to the file afterwards does not change what is logged."""
        ...

    def not_held_here(self, digests: Sequence[str]) -> list[str]:
        """The digests (in the order asked) whose bytes this machine does not keep for a
        save: the embedded store lacks them; for a server, neither the client cache nor the
        server holds them. A draft reads such files now to keep what it adds."""
        ...

    def open_sink(self) -> BlobSink:
        """Somewhere to put small blobs the caller has just read and hashed (see BlobSink)."""
        ...

    # --- receiving ------------------------------------------------------------------------
    def read_bytes(self, digest: str) -> bytes:
        """A small blob (a manifest) in memory."""
        ...

    def open_blob(self, digest: str) -> AbstractContextManager[BinaryIO]:
        """A reader of the blob's bytes, valid inside the block: the store's own file on this
        machine, else a downloaded temporary copy (for a large manifest or a preview)."""
        ...

    def download_blob(self, digest: str, dest_path: str, progress: Progress | None = None) -> None:
        """Write the blob to ``dest_path``, which must not exist (the caller makes the write
        atomic by choosing a fresh temporary name and renaming it)."""
        ...

    def place_blobs(
        self,
        entries: Sequence[Entry],
        dests: Mapping[str, str],
        progress: Progress,
        link: bool = False,
        skip_cache: bool = False,
    ) -> None:
        """Put each stored entry's blob at ``dests[entry.path]``: new files in existing
        folders (one another process creates meanwhile is replaced atomically). ``progress``
        counts every entry's size. ``link``: hard links to read-only blobs -- the embedded
        store's, or the client cache's for a server -- copies where linking is impossible.
        ``skip_cache``: a server's blobs are not kept in the client cache (the embedded store
        has no cache: its blobs are on this machine already).

        A download killed mid-way may leave a file shorter than its entry; the SDK's next
        download into the same folder compares existing files and replaces those that differ.
        """
        ...

    def close(self) -> None: ...
