"""Moving blob bytes between the caller and the BlobStore."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence

from archivist.core.bulk_checks import all_blob_digests
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


def checked_pairs(items: Sequence[tuple[str, str]], second: str) -> list[tuple[str, str]]:
    if all(type(item) is tuple and len(item) == 2 for item in items) and all_blob_digests(
        [item[0] for item in items]
    ):
        return list(items)  # checked in bulk (20,000 downloads: 5 ms instead of 40)
    checked = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InvalidInputError(f"expected (digest, {second}) pairs, got {item!r}")
        checked.append((validate_digest(item[0]), item[1]))
    return checked


def upload_files(
    store: BlobStore,
    files: Sequence[tuple[str, str]],
    progress: ProgressCallback | None = None,
    held: Mapping[str, bytes] | None = None,
) -> None:
    """Store the files in one batch (a folder store packs the small ones together).

    ``held``: bytes of some files already read by this process, by digest; they are
    verified against their digest like the files' bytes, and the files are not read again.
    """
    store.put_files(checked_pairs(files, "local_path"), progress, held)


def download_blobs(
    store: BlobStore,
    items: Sequence[tuple[str, str]],
    progress: ProgressCallback | None = None,
    link: bool = False,
) -> None:
    """Write each blob to its destination, a new file (``FileExistsError`` if it exists)
    in an existing folder, written whole or not at all; ``link``: hard links to the
    store's read-only blobs where it can (see ``BlobStore.copy_to``)."""
    store.copy_to(checked_pairs(items, "dest_path"), link=link, progress=progress)


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
