"""Stored manifests as streams: writing one while hashing it, reading one piece by piece.

A million-entry manifest is ~180 MB serialised. Writing spills to a temporary
file past a few MB instead of building the bytes in memory; reading streams the
store's own file when it is on this machine, else a downloaded temporary copy,
so a reader holds only the entries it keeps.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import blake3

from archivist.client.backend import Backend
from archivist.core.manifest import Manifest
from archivist.core.models import VersionRecord
from archivist.sdk.cyclic_gc_pause import paused_gc

READ_BLOCK_BYTES = 1 << 20
SPILL_BYTES = 8 << 20
"""Serialised manifests up to this size are uploaded from memory, larger ones from a file."""
SMALL_MANIFEST_ENTRIES = 20_000
"""Versions with at most this many entries read their manifest in one request."""


def store_manifest(backend: Backend, manifest: Manifest, spill_bytes: int = SPILL_BYTES) -> str:
    """Serialise ``manifest``, upload it as a blob and return its digest, holding at most
    about ``spill_bytes`` of it in memory (the rest goes through a temporary file)."""
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
        if spill is None:
            backend.upload_bytes(digest, b"".join(held))
        else:
            spill.close()
            backend.upload_files([(digest, spill_path)])
        return digest
    finally:
        if spill is not None:
            spill.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spill_path)


@contextlib.contextmanager
def manifest_blocks(backend: Backend, record: VersionRecord) -> Iterator[Iterator[bytes]]:
    """The stored manifest of ``record`` as an iterator of byte blocks, valid inside the block."""
    digest = record.manifest_digest
    local = backend.local_blob_path(digest)
    if local is not None:
        try:
            handle = open(local, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            pass  # packed or moved meanwhile: fetch it through the backend
        else:
            with handle:
                yield _read_blocks(handle)
            return
    if record.file_count <= SMALL_MANIFEST_ENTRIES:
        yield iter([backend.read_bytes(digest)])
        return
    with tempfile.TemporaryDirectory(prefix="archivist-manifest-") as folder:
        path = os.path.join(folder, digest)
        backend.download_blob(digest, path)
        with open(path, "rb") as handle:
            yield _read_blocks(handle)


def load_manifest(backend: Backend, record: VersionRecord) -> Manifest:
    """The whole manifest of ``record`` in memory (its serialised bytes are never held whole)."""
    with paused_gc(), manifest_blocks(backend, record) as blocks:  # bulk allocation, no cycles
        return Manifest.from_blocks(blocks)


def _read_blocks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(READ_BLOCK_BYTES):
        yield block
