"""A stored manifest read piece by piece, for the web UI (the SDK reads through its
BlobTransfer: ``archivist.sdk.manifest_io``).

A million-entry manifest is ~180 MB serialised: reading streams the store's own
file when it is on this machine, else a downloaded temporary copy, so a reader
holds only the entries it keeps. Small manifests come in one request.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from archivist.core.models import VersionRecord

READ_BLOCK_BYTES = 1 << 20
SMALL_MANIFEST_ENTRIES = 20_000
"""Versions with at most this many entries read their manifest in one request."""


class ManifestSource(Protocol):
    """What reading a stored manifest needs of a backend."""

    def local_blob_path(self, digest: str) -> str | None: ...

    def read_bytes(self, digest: str) -> bytes: ...

    def download_blob(self, digest: str, dest_path: str) -> None: ...


@contextlib.contextmanager
def manifest_blocks(backend: ManifestSource, record: VersionRecord) -> Iterator[Iterator[bytes]]:
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


def _read_blocks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(READ_BLOCK_BYTES):
        yield block
