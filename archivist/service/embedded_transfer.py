"""The BlobTransfer of the embedded store: blobs go straight to and from the folder
store on this machine (``archivist.storage.local``), verified when they were written.

Large files of a draft are stored while they are hashed (``ingest_file``), small ones are
packed in the background while the rest is hashed (``open_sink``), downloads are kernel
copies or hard links to the store's read-only files, and the summary of a manifest this
process stored is handed to its commit (``upload_manifest``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import BinaryIO

from archivist.core.blob_transfer import BlobSink
from archivist.core.digest_checks import validate_digest
from archivist.core.manifest import Entry, ManifestSummary
from archivist.core.progress import Progress
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore
from archivist.wire.cyclic_gc_pause import paused_gc
from archivist.wire.new_files import remove_quietly, temp_beside


class EmbeddedTransfer:
    """``archivist.core.blob_transfer.BlobTransfer`` over the Service and its folder store."""

    def __init__(self, service: Service, store: LocalBlobStore) -> None:
        self._service = service
        self._store = store

    def __repr__(self) -> str:
        return f"EmbeddedTransfer({self._store.root!r})"

    # --- sending --------------------------------------------------------------------------
    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        return self._service.missing_blobs(digests)

    def blobs_to_send(
        self, wanted: Collection[str], with_files: Collection[str], stored: Collection[str]
    ) -> list[str]:
        """The store skips what it holds as it stores: only blobs without a local file are
        asked about, and files the sinks did not make sure of are stored from their files."""
        unsure = [digest for digest in with_files if digest not in stored]
        return [*self.missing_blobs(sorted(set(wanted).difference(with_files))), *unsure]

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        """As ``Service.upload_files``, but ``held`` bytes are not hashed again: they come from
        this very process, hashed from those bytes. Short, disk-bound bulk work: no collector
        passes over its objects (a server's transfer may take minutes: the collector stays on)."""
        with paused_gc():
            self._store.put_files(files, progress, held, trust_held=True)  # it validates each pair

    def upload_bytes(self, digest: str, data: bytes) -> None:
        self._service.upload_bytes(digest, data)

    def upload_manifest(self, digest: str, source: bytes | str, summary: ManifestSummary) -> None:
        with paused_gc():
            self._upload_manifest(digest, source, summary)

    def _upload_manifest(self, digest: str, source: bytes | str, summary: ManifestSummary) -> None:
        if isinstance(source, bytes):
            self.upload_bytes(digest, source)
        else:
            self.upload_files([(digest, source)])
        self._service.note_manifest(digest, summary)

    def ingest_file(self, path: str) -> tuple[str, int]:
        return self._store.ingest_file(path)

    def not_held_here(self, digests: Sequence[str]) -> list[str]:
        lacking = self._store.missing(digests)
        return [digest for digest in digests if digest in lacking]

    def open_sink(self) -> BlobSink:
        return self._store.open_sink()

    # --- receiving ------------------------------------------------------------------------
    def read_bytes(self, digest: str) -> bytes:
        return self._service.read_bytes(digest)

    @contextlib.contextmanager
    def open_blob(self, digest: str) -> Iterator[BinaryIO]:
        with self._store.open(validate_digest(digest)) as reader:
            yield reader

    def download_blob(self, digest: str, dest_path: str, progress: Progress | None = None) -> None:
        self._service.download_blob(digest, dest_path, progress)

    def place_blobs(
        self,
        entries: Sequence[Entry],
        dests: Mapping[str, str],
        progress: Progress,
        link: bool = False,
        skip_cache: bool = False,
    ) -> None:
        """The store writes (or links) every file in one call. A link writes no bytes and
        reports none (the store looks up no sizes for it): the count is topped up after.
        There is no cache to skip."""
        items = [(entry.digest, dests[entry.path]) for entry in entries]
        written = 0

        def report(size: int) -> None:
            nonlocal written
            written += size
            progress(size)

        with paused_gc():
            self._place(items, report, link)
        progress(max(0, sum(entry.size for entry in entries) - written))

    def _place(self, items: Sequence[tuple[str, str]], report: Progress, link: bool) -> None:
        try:
            self._service.download_blobs(items, report, link=link)
        except FileExistsError:
            # Another process is downloading into the same folder: finish file by file,
            # each written under a temporary name and renamed over whatever is there by then.
            for digest, dest in items:
                temp = temp_beside(dest)
                try:
                    self._service.download_blobs([(digest, temp)], link=link)
                    os.replace(temp, dest)
                finally:
                    remove_quietly(temp)

    def close(self) -> None:
        """The Backend closes the store; nothing of its own to close."""
