"""Stored manifests as streams: writing one while hashing it, reading one piece by piece.

A million-entry manifest is ~180 MB serialised. Writing spills to a temporary
file past a few MB instead of building the bytes in memory; reading a large one
streams it (``BlobTransfer.open_blob``: the store's own file when it is on this
machine, else a downloaded temporary copy), so a reader holds only the entries it keeps.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import blake3

from archivist.core.blob_transfer import BlobTransfer
from archivist.core.manifest import Manifest, ManifestSummary
from archivist.core.models import VersionRecord
from archivist.wire.cyclic_gc_pause import paused_gc

READ_BLOCK_BYTES = 1 << 20
SPILL_BYTES = 8 << 20
"""Serialised manifests up to this size are uploaded from memory, larger ones from a file."""
SMALL_MANIFEST_ENTRIES = 20_000
"""Versions with at most this many entries read their manifest in one request."""


def store_manifest(
    transfer: BlobTransfer, manifest: Manifest, commit_digest: str, spill_bytes: int = SPILL_BYTES
) -> str:
    """Serialise ``manifest``, upload it as a blob and return its digest, holding at most
    about ``spill_bytes`` of it in memory (the rest goes through a temporary file).
    ``commit_digest``: the version's content digest, for the summary handed to its commit."""
    hasher = blake3.blake3()
    held: list[bytes] = []
    size = 0
    spill: BinaryIO | None = None
    spill_path = ""
    try:
        for block in manifest.encode():
            hasher.update(block)
            if spill is not None:
                spill.write(block)
                continue
            held.append(block)
            size += len(block)
            if size > spill_bytes:
                fd, spill_path = tempfile.mkstemp(prefix="archivist-manifest-")
                spill = os.fdopen(fd, "wb")
                spill.writelines(held)
                held.clear()
        digest = hasher.hexdigest()
        summary = ManifestSummary.of(manifest, commit_digest)
        if spill is None:
            transfer.upload_manifest(digest, b"".join(held), summary)
        else:
            spill.close()
            transfer.upload_manifest(digest, spill_path, summary)
        return digest
    finally:
        if spill is not None:
            spill.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spill_path)


@contextlib.contextmanager
def manifest_blocks(transfer: BlobTransfer, record: VersionRecord) -> Iterator[Iterator[bytes]]:
    """The stored manifest of ``record`` as an iterator of byte blocks, valid inside the block."""
    digest = record.manifest_digest
    if record.file_count <= SMALL_MANIFEST_ENTRIES:
        yield iter([transfer.read_bytes(digest)])
        return
    with transfer.open_blob(digest) as handle:
        yield _read_blocks(handle)


def load_manifest(transfer: BlobTransfer, record: VersionRecord) -> Manifest:
    """The whole manifest of ``record`` in memory (its serialised bytes are never held whole)."""
    with paused_gc(), manifest_blocks(transfer, record) as blocks:  # bulk allocation, no cycles
        return Manifest.from_blocks(blocks)


def _read_blocks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(READ_BLOCK_BYTES):
        yield block
