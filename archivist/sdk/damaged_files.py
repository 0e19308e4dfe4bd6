"""Saying which files of which version are damaged when a download from the embedded
store meets a blob that does not hold its bytes.

The store verifies every byte it copies (``DamagedBlobError`` naming the blob); a
link-mode download writes nothing, so the files it hard-linked are compared with the
manifest's sizes instead (a stat each; hashing them would read every byte, which link
mode exists to avoid). Either way the user learns the artifact, version and paths, and
what to do: ``archivist fsck --repair``, then log those files again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from archivist.core.errors import DamagedBlobError
from archivist.core.manifest import Entry

SHOWN_PATHS = 3


def name_damaged_files(error: DamagedBlobError, entries: Sequence[Entry], version: str) -> DamagedBlobError:
    """``error`` again, naming the paths of ``entries`` (of ``version``, as ``e/p/name:vN``)
    stored as the damaged blob."""
    paths = [entry.path for entry in entries if entry.ref is None and entry.digest == error.digest]
    return DamagedBlobError(
        f"{_files(paths)} of artifact '{version}' is damaged in the store: {error}", error.digest
    )


def check_linked_sizes(entries: Sequence[Entry], destinations: Sequence[str], version: str) -> None:
    """After a link-mode download: ``DamagedBlobError`` when a linked file's size differs from
    its entry's (each such file is removed: it is the damaged blob itself)."""
    damaged: list[tuple[Entry, int]] = []
    for entry, dest in zip(entries, destinations, strict=True):
        size = os.stat(dest).st_size
        if size != entry.size:
            damaged.append((entry, size))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(dest)
    if damaged:
        entry, size = damaged[0]
        raise DamagedBlobError(
            f"{_files([e.path for e, _size in damaged])} of artifact '{version}' is damaged in the store: "
            f"blob {entry.digest} holds {size} bytes, the manifest says {entry.size}; the damaged "
            "files were removed from the download. `archivist fsck --repair` removes the damaged "
            "blobs, and logging those files again stores them anew",
            entry.digest,
        )


def _files(paths: Sequence[str]) -> str:
    shown = ", ".join(repr(path) for path in paths[:SHOWN_PATHS])
    more = f" and {len(paths) - SHOWN_PATHS} more" if len(paths) > SHOWN_PATHS else ""
    return f"file {shown}{more}" if len(paths) == 1 else f"files {shown}{more}"
