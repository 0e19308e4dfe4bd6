"""Stored manifests: writing one while hashing it, loading one whole.

A million-entry manifest is ~180 MB serialised. Writing spills to a temporary
file past a few MB instead of building the bytes in memory; reading goes through
``wire.manifest_blocks`` (piece by piece), which the web UI uses too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import BinaryIO

import blake3

from archivist.client.backend import Backend
from archivist.core.manifest import Manifest
from archivist.core.models import VersionRecord
from archivist.sdk.cyclic_gc_pause import paused_gc
from archivist.wire.manifest_blocks import manifest_blocks

SPILL_BYTES = 8 << 20
"""Serialised manifests up to this size are uploaded from memory, larger ones from a file."""


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


def load_manifest(backend: Backend, record: VersionRecord) -> Manifest:
    """The whole manifest of ``record`` in memory (its serialised bytes are never held whole)."""
    with paused_gc(), manifest_blocks(backend, record) as blocks:  # bulk allocation, no cycles
        return Manifest.from_blocks(blocks)
