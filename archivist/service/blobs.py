"""Moving blob bytes between the caller and the BlobStore."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence

from archivist.core.errors import InvalidInputError
from archivist.service.validation import validate_digest, validate_digests
from archivist.storage.base import BlobStore

ProgressCallback = Callable[[int], None]
COPY_CHUNK = 1024 * 1024


def missing_blobs(store: BlobStore, digests: Sequence[str]) -> list[str]:
    """The digests the store lacks, in the order asked, each once."""
    wanted = list(dict.fromkeys(validate_digests(digests)))
    missing = store.missing(wanted)
    return [digest for digest in wanted if digest in missing]


def upload_files(
    store: BlobStore, files: Sequence[tuple[str, str]], progress: ProgressCallback | None = None
) -> None:
    for item in files:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InvalidInputError(f"expected (digest, local_path) pairs, got {item!r}")
        digest, path = item
        size = store.put_file(validate_digest(digest), path)
        if progress is not None:
            progress(size)


def download_blob(
    store: BlobStore, digest: str, dest_path: str, progress: ProgressCallback | None = None
) -> None:
    """Write the blob to ``dest_path``; a local store's file is copied by the kernel."""
    validate_digest(digest)
    local = store.local_path(digest)
    if local is not None and os.path.exists(local):
        shutil.copyfile(local, dest_path)
        if progress is not None:
            progress(os.path.getsize(dest_path))
        return
    with store.open(digest) as reader, open(dest_path, "wb") as writer:
        while chunk := reader.read(COPY_CHUNK):
            writer.write(chunk)
            if progress is not None:
                progress(len(chunk))


def read_bytes(store: BlobStore, digest: str) -> bytes:
    with store.open(validate_digest(digest)) as reader:
        return reader.read()
