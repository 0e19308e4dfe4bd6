"""An upload into a store that cannot be written in place (an object store): the bytes
are spooled to a temp file and hashed as they arrive, then stored with ``put_file``
(which may skip reading a blob the store holds already: the hash here is the check)."""

from __future__ import annotations

import contextlib
import os
import tempfile

import blake3

from archivist.core.errors import IntegrityError
from archivist.storage.base import BlobStore


class SpooledUpload:
    """The ``UploadSink`` of ``ObjectBlobStore.open_upload``."""

    def __init__(self, store: BlobStore, digest: str) -> None:
        self.store, self.digest = store, digest
        self.hasher = blake3.blake3()
        self.file = tempfile.NamedTemporaryFile(prefix="archivist-upload-", delete=False)  # noqa: SIM115

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.hasher.update(data)
        self.file.write(data)

    def commit(self) -> None:
        self.file.close()
        try:
            actual = self.hasher.hexdigest()
            if actual != self.digest:
                raise IntegrityError(
                    f"blob bytes hash to blake3 {actual[:12]}..., expected {self.digest[:12]}...; "
                    "nothing was stored"
                )
            self.store.put_file(self.digest, self.file.name)
        finally:
            self.abort()

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file.name)
