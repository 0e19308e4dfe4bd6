"""Moving blob bytes between the caller and the BlobStore."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Mapping, Sequence

from archivist.core.bulk_checks import all_blob_digests
from archivist.core.digest_checks import validate_digest, validate_digests
from archivist.core.errors import InvalidInputError
from archivist.core.progress import Progress
from archivist.storage.base import BlobStore

_temp_counter = itertools.count()


def missing_blobs(store: BlobStore, digests: Sequence[str]) -> list[str]:
    """The digests the store lacks, in the order asked, each once."""
    wanted = list(dict.fromkeys(validate_digests(digests)))
    missing = store.missing(wanted)
    return [digest for digest in wanted if digest in missing]


def checked_pairs(items: Sequence[tuple[str, str]], second: str) -> list[tuple[str, str]]:
    if all(type(item) is tuple and len(item) == 2 for item in items) and all_blob_digests(
        [item[0] for item in items]
    ):
        return list(items)  # checked in bulk: one match over all digests, not one per pair
    checked = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InvalidInputError(f"expected (digest, {second}) pairs, got {item!r}")
        checked.append((validate_digest(item[0]), item[1]))
    return checked


def upload_files(
    store: BlobStore,
    files: Sequence[tuple[str, str]],
    progress: Progress | None = None,
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
    progress: Progress | None = None,
    link: bool = False,
) -> None:
    """Write each blob to its destination, a new file (``FileExistsError`` if it exists)
    in an existing folder, written whole or not at all; ``link``: hard links to the
    store's read-only blobs where it can (see ``BlobStore.copy_to``)."""
    store.copy_to(checked_pairs(items, "dest_path"), link=link, progress=progress)


def download_blob(store: BlobStore, digest: str, dest_path: str, progress: Progress | None = None) -> None:
    """Write the blob to ``dest_path``, replacing what is there, verified as it is copied
    where the store verifies (``BlobStore.copy_to``); written to a new name beside it and
    renamed, so ``dest_path`` is whole or as it was."""
    validate_digest(digest)
    temp = f"{dest_path}.archivist-{os.getpid()}-{next(_temp_counter)}"
    try:
        store.copy_to([(digest, temp)], progress=progress)
        os.replace(temp, dest_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def read_bytes(store: BlobStore, digest: str) -> bytes:
    with store.open(validate_digest(digest)) as reader:
        return reader.read()
