"""HttpBlobTransfer: the BlobTransfer protocol spoken to an Archivist server.

Transfers are planned by the server (``planned_transfers``): bytes go straight to and
from its object store through presigned URLs (``presigned``), or -- with a folder store --
through the server (``api_uploads`` and ``api_downloads``: batched, streamed, several at
once; large uploads to its blob listener, ``listener_sender``). Which of the two a server
does is learnt from a download plan of one blob and remembered, so a folder store's blobs
are never planned one by one.

Blobs are never on this machine: downloads go through the client cache
(``cached_downloads``), which verifies every byte as it arrives and is what link mode links
to. ``fetch_blobs`` and ``download_to`` let it write each downloaded byte once and verify it
without reading it back. What a draft adds is kept as it was when added until it is sent:
small files' bytes in memory (within a budget, ``HeldSink``), the rest in the client cache
(``ingest_file``, and small files past the budget); uploads send from memory, then from the
cache, and read the user's file only for what neither holds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import BinaryIO

from archivist.client.http import HttpBackend
from archivist.client.transfer import api_downloads, api_uploads
from archivist.client.transfer.api_uploads import Upload
from archivist.client.transfer.cached_downloads import fetch_remote
from archivist.client.transfer.hashing import hash_file
from archivist.client.transfer.progress_once import ProgressOnce
from archivist.core.blob_cache import BlobCacheOpener
from archivist.core.blob_transfer import BlobSink
from archivist.core.digest_checks import validate_digest, validate_digests
from archivist.core.errors import BlobNotFoundError, InvalidInputError
from archivist.core.manifest import Entry, ManifestSummary
from archivist.core.progress import Progress
from archivist.wire.new_files import remove_quietly

HELD_BYTES_LIMIT = 256 << 20
"""At most this many bytes of small files are kept in memory for the upload."""
HELD_FILE_MAX_BYTES = 256 << 10
"""Only files up to this size are kept (the ones whose per-file cost dominates)."""


class HttpBlobTransfer:
    """``archivist.core.blob_transfer.BlobTransfer`` over HTTP (see the module docstring)."""

    def __init__(self, backend: HttpBackend, cache: BlobCacheOpener | None = None) -> None:
        """``cache``: gives the client cache downloads go through (None: straight to their
        destinations)."""
        self.session = backend.session
        self.transfers = backend.transfers
        self._cache = cache
        self._held = _HeldBytes()

    def __repr__(self) -> str:
        return f"HttpBlobTransfer({self.session.base_url!r})"

    # --- sending --------------------------------------------------------------------------
    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        asked = validate_digests(digests)  # refused here with the embedded store's message
        return list(self.session.call("/blobs/missing", {"digests": asked}, idempotent=True)["missing"])

    def blobs_to_send(
        self, wanted: Collection[str], with_files: Collection[str], stored: Collection[str]
    ) -> list[str]:
        """Every blob's bytes cross the network: the server is asked about all of them (and
        bytes kept for those it holds are dropped)."""
        missing = self.missing_blobs(sorted(wanted))
        self._held.take(sorted(set(wanted).difference(missing)))
        return missing

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        """Bytes the sinks of this transfer kept are sent from memory, like ``held``."""
        kept = self._held.take([item[0] for item in files if isinstance(item, (tuple, list)) and item])
        from_memory = {**kept, **held} if held else kept  # once, not per file
        cached = self._cached_sources(files, from_memory)
        uploads = [_upload(item, from_memory, cached) for item in files]
        report = ProgressOnce(progress)
        if self._server_carries([upload.digest for upload in uploads[:1]]):
            via_server = self.transfers.stream(uploads, report)  # large blobs to its listener
        else:
            via_server = self.transfers.upload(uploads, report)
        if via_server:
            api_uploads.upload_batches(self.session, via_server, report)

    def upload_bytes(self, digest: str, data: bytes) -> None:
        validate_digest(digest)
        if not self._server_carries([digest]) and self.transfers.upload_bytes(digest, data):
            return  # (asked first: a folder-store server is never sent an upload plan)

        def attempt() -> None:
            response = self.session.client.put(
                f"/blobs/{digest}", content=data, headers={"Content-Type": "application/octet-stream"}
            )
            self.session.raise_for_error(response)

        self.session.with_retries(attempt, idempotent=True)

    def upload_manifest(self, digest: str, source: bytes | str, summary: ManifestSummary) -> None:
        """The server reads back the manifest it received (a client's word is no proof), so
        ``summary`` is not sent."""
        if isinstance(source, bytes):
            self.upload_bytes(digest, source)
        else:
            self.upload_files([(digest, source)])

    def ingest_file(self, path: str) -> tuple[str, int]:
        """Copied into the client cache as it is hashed (the upload sends that copy, so a
        change to the file afterwards does not matter); uploaded when logged, and only if
        the server lacks it. Without a cache, or past its limit, only hashed."""
        cache = None if self._cache is None else self._cache()
        kept = None if cache is None else cache.ingest(path)
        return hash_file(path) if kept is None else kept

    def not_held_here(self, digests: Sequence[str]) -> list[str]:
        """Digests neither the client cache nor the server holds (the server is asked only
        about those the cache lacks, in one round trip)."""
        asked = validate_digests(digests)
        lacking = set(asked) if self._cache is None else self._cache().missing(asked)
        if lacking:
            lacking = set(self.missing_blobs([digest for digest in asked if digest in lacking]))
        return [digest for digest in asked if digest in lacking]

    def open_sink(self) -> BlobSink:
        return HeldSink(self._held, self._cache)

    def _cached_sources(
        self, files: Sequence[tuple[str, str]], from_memory: Mapping[str, bytes]
    ) -> dict[str, str | bytes]:
        """Where the client cache holds the files not sent from memory: a draft's files were
        kept there as they were when added (``ingest_file``, ``HeldSink``)."""
        if self._cache is None:
            return {}
        wanted = [
            validate_digest(item[0])
            for item in files
            if isinstance(item, (tuple, list)) and len(item) == 2 and item[0] not in from_memory
        ]
        return self._cache().sources(wanted) if wanted else {}

    # --- receiving ------------------------------------------------------------------------
    def read_bytes(self, digest: str) -> bytes:
        validate_digest(digest)
        direct = self.transfers.read_bytes(digest)
        if direct is not None:
            return direct

        def attempt() -> bytes:
            response = self.session.client.get(f"/blobs/{digest}")
            self.session.raise_for_error(response)
            return response.content

        return self.session.with_retries(attempt, idempotent=True)

    @contextlib.contextmanager
    def open_blob(self, digest: str) -> Iterator[BinaryIO]:
        """A downloaded temporary copy, removed after the block."""
        with tempfile.TemporaryDirectory(prefix="archivist-blob-") as folder:
            path = os.path.join(folder, digest)
            self.download_blob(digest, path)
            with open(path, "rb") as handle:
                yield handle

    def download_blob(self, digest: str, dest_path: str, progress: Progress | None = None) -> None:
        validate_digest(digest)
        if not self.transfers.download({digest: [dest_path]}, progress):
            api_downloads.download_one(self.session, digest, dest_path, progress)

    def place_blobs(
        self,
        entries: Sequence[Entry],
        dests: Mapping[str, str],
        progress: Progress,
        link: bool = False,
        skip_cache: bool = False,
    ) -> None:
        """Through the client cache (``cached_downloads``): link mode links to its files."""
        cache = None if skip_cache or self._cache is None else self._cache()
        fetch_remote(self, cache, entries, dests, link, progress)

    def fetch_blobs(self, digests: Sequence[str], receive: Callable[[str, bytes], None]) -> None:
        """Hand each blob's bytes to ``receive(digest, data)``, whole and in any order, from a
        few threads at once. The bytes are not verified here: ``receive`` checks them. Meant
        for small blobs (each is held in memory)."""
        wanted = list(dict.fromkeys(validate_digests(digests)))
        if not wanted:
            return
        if self._server_carries(wanted):
            api_downloads.fetch_many(self.session, wanted, receive)
            return
        with tempfile.TemporaryDirectory(prefix="archivist-fetch-") as folder:
            paths = {digest: [os.path.join(folder, digest)] for digest in wanted}
            if not self.transfers.download(paths, None):  # presigned GETs, each verified
                api_downloads.fetch_many(self.session, wanted, receive)
                return
            for digest, (path,) in paths.items():
                with open(path, "rb") as source:
                    data = source.read()
                os.unlink(path)
                receive(digest, data)

    def download_to(self, digest: str, paths: Sequence[str], progress: Progress | None = None) -> str:
        """Write the blob to each of ``paths``, new files (``FileExistsError`` if one exists;
        its folder must exist), hashing it as it arrives; returns the BLAKE3 of the bytes
        written for the caller to compare. On failure the files are removed again."""
        validate_digest(digest)
        if not paths:
            raise InvalidInputError(f"download_to of blob {digest} needs at least one destination path")
        if self._server_carries([digest]):
            return api_downloads.download_to(self.session, digest, paths, progress)
        first, *others = paths
        try:
            for path in paths:  # claim every name first, as the server path does
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            if self.transfers.download({digest: [first]}, progress):  # verified as it arrives
                for path in others:
                    shutil.copyfile(first, path)
                return digest
        except BaseException:
            _remove(paths)
            raise
        _remove(paths)  # the server stopped presigning meanwhile: it carries the bytes
        return api_downloads.download_to(self.session, digest, paths, progress)

    def _server_carries(self, digests: Sequence[str]) -> bool:
        """Whether the server carries blob bytes itself (a folder store), asked once per
        transfer with a download plan for one blob (which has no side effects). A plan for a
        blob the user may not read yet (one about to be uploaded) is refused and tells
        nothing: the upload plan then says."""
        if self.transfers.via_server is None and digests:
            with contextlib.suppress(BlobNotFoundError):
                self.transfers.download_targets(digests[:1])
        return bool(self.transfers.via_server)

    def close(self) -> None:
        """The HttpBackend closes the session and its transfers; kept bytes are dropped."""
        self._held.take(None)


class _HeldBytes:
    """Digest -> the exact bytes that hashed to it, within a byte budget, for the upload."""

    def __init__(self, limit: int = HELD_BYTES_LIMIT) -> None:
        self._blobs: dict[str, bytes] = {}
        self._room = limit
        self._lock = threading.Lock()

    def offer_many(self, blobs: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        """Keep what fits; returns the blobs not kept (too large, or past the budget)."""
        refused = []
        with self._lock:
            for digest, data in blobs:
                if digest in self._blobs:
                    continue
                if len(data) > HELD_FILE_MAX_BYTES or len(data) > self._room:
                    refused.append((digest, data))
                    continue
                self._blobs[digest] = data
                self._room -= len(data)
        return refused

    def take(self, digests: Sequence[str] | None) -> dict[str, bytes]:
        """The bytes kept of ``digests`` (of all when None), forgotten once taken."""
        with self._lock:
            wanted = list(self._blobs) if digests is None else digests
            taken = {digest: self._blobs.pop(digest) for digest in wanted if digest in self._blobs}
            self._room += sum(len(data) for data in taken.values())
        return taken


class HeldSink:
    """A server's BlobSink: small files' bytes are kept in memory (within a budget) and sent
    from there when the version is logged; those past the budget go to the client cache (so
    the version holds them as they were when added, whatever happens to the files). The
    server holds none of them for sure before (``wait`` answers no digest), so the save
    asks it about every blob."""

    def __init__(self, held: _HeldBytes, cache: BlobCacheOpener | None = None) -> None:
        self._held = held
        self._cache = cache

    def add_many(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        refused = self._held.offer_many(blobs)
        if refused and self._cache is not None:
            self._cache().add_many(refused)

    def expect(self, blobs: Sequence[tuple[str, int]]) -> None:
        """Presence is asked of the server when the version is logged, with the others."""

    def close(self) -> None:
        """The bytes are kept already: nothing goes on in the background."""

    def wait(self) -> set[str]:
        return set()


def _upload(item: object, held: Mapping[str, bytes], cached: Mapping[str, str | bytes]) -> Upload:
    """Sent from memory, else from the client cache's copy, else from the file itself; the
    server verifies every upload."""
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise InvalidInputError(f"expected (digest, local_path) pairs, got {item!r}")
    digest, path = item
    validate_digest(digest)
    data = held.get(digest)
    source = cached.get(digest) if data is None else data
    if isinstance(source, bytes):
        return Upload(digest, str(path), len(source), source)
    if source is not None:
        return Upload(digest, source, api_uploads.file_size(source))
    return Upload(digest, str(path), api_uploads.file_size(str(path)))


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        remove_quietly(path)
