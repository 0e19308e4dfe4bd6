"""What a batch write (``put_files``, ``put_bytes_many``) does when some of its blobs fail:
the failing blobs are not stored, every other blob of the batch is, and then the first
failure is raised, counting the others (so a retry re-sends only what failed)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import blake3

from archivist.core.errors import (
    ArchivistError,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
)
from archivist.core.progress import Progress
from archivist.storage.loose import READ_CHUNK_BYTES, require_blob_digest

if TYPE_CHECKING:
    from archivist.storage.base import BlobStore

BATCH_ERRORS = (FileChangedError, PathNotFoundError, IntegrityError)
"""Failures of one blob that do not stop the rest of its batch."""


def ignore_progress(_size: int) -> None:
    return None


def raise_first(errors: Sequence[ArchivistError]) -> None:
    """Raise the first failure of a batch whose other blobs were stored (nothing if none)."""
    if not errors:
        return
    first = errors[0]
    if len(errors) == 1:
        raise first
    raise type(first)(
        f"{first.message} ({len(errors) - 1} more blob(s) of this batch failed too; "
        "every other blob of the batch was stored)"
    ) from first


def pairs(items: Sequence[tuple[str, Any]], second: str) -> Iterator[tuple[str, Any]]:
    """``(digest, x)`` pairs with the digest validated; ``second`` names x in the error."""
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InvalidInputError(f"expected (digest, {second}) pairs, got {item!r}")
        yield require_blob_digest(item[0]), item[1]


def unique_pairs(items: Sequence[tuple[str, Any]], second: str) -> dict[str, Any]:
    """``pairs`` by digest, the first of each digest kept (a batch stores a blob once)."""
    unique: dict[str, Any] = {}
    for digest, value in pairs(items, second):
        unique.setdefault(digest, value)
    return unique


def check_bytes(digest: str, data: bytes, path: str = "") -> None:
    """``IntegrityError`` unless ``data`` hashes to ``digest`` (``path``: the file they stand for)."""
    actual = blake3.blake3(data).hexdigest()
    if actual != digest:
        source = f" (held for {path})" if path else ""
        raise IntegrityError(
            f"bytes{source} hash to blake3 {actual[:12]}..., not {digest[:12]}...; nothing was stored"
        )


# --- the batch methods as loops over single-blob ones (for stores without a faster way) ---


def put_files_one_by_one(
    store: BlobStore,
    items: Sequence[tuple[str, str]],
    progress: Progress | None,
    held: Mapping[str, bytes] | None,
) -> None:
    report, errors = progress or ignore_progress, []
    for digest, path in unique_pairs(items, "local_path").items():
        data = held.get(digest) if held else None
        try:
            if data is None:
                report(store.put_file(digest, path))
            else:
                check_bytes(digest, data, path)
                store.put_bytes(digest, data)
                report(len(data))
        except BATCH_ERRORS as error:
            errors.append(error)
    raise_first(errors)


def put_bytes_one_by_one(
    store: BlobStore, items: Sequence[tuple[str, bytes]], progress: Progress | None
) -> None:
    report, errors = progress or ignore_progress, []
    for digest, data in unique_pairs(items, "bytes").items():
        try:
            store.put_bytes(digest, data)
        except BATCH_ERRORS as error:
            errors.append(error)
            continue
        report(len(data))
    raise_first(errors)


def copy_one_by_one(store: BlobStore, items: Sequence[tuple[str, str]], progress: Progress | None) -> None:
    """Stream each blob into its new destination file, removed again if writing it fails."""
    report = progress or ignore_progress
    for digest, path in pairs(items, "dest_path"):
        with store.open(digest) as reader:
            try:
                writer = open(path, "xb")  # noqa: SIM115
            except FileExistsError:
                raise FileExistsError(
                    errno.EEXIST, f"cannot write blob {digest[:12]}... to {path}: the file exists", path
                ) from None
            try:
                with writer:
                    while chunk := reader.read(READ_CHUNK_BYTES):
                        writer.write(chunk)
                        report(len(chunk))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                raise
