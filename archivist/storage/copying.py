"""Writing blobs out of a folder store to new files (``LocalBlobStore.copy_to``).

Each destination is created with ``O_CREAT | O_EXCL`` (it must not exist; its folder
must), written whole, and removed again if writing it fails, so a destination is
either complete or absent. Every byte written is verified against its digest on the
way (``DamagedBlobError`` naming a blob that does not hold its bytes): packed blobs as
they are read, loose ones while the kernel copies them (``hashed_copy``). A link writes
nothing and is not hashed (the caller checks sizes). Loose blobs are copied by the kernel
(``copy_file_range``, else ``sendfile``); packed blobs come from one sequential
read per pack. Many files are created, or linked, from a few threads at once
(``parallel_files``: the kernel work of creating files runs without the GIL). Link
mode hard-links each destination to the read-only loose blob; a packed blob is written
(verified, read-only) to its first destination, which is then linked in as the store's
loose blob, so that later downloads link it. Where the filesystem refuses links
(another device, no hard links, too many links) it copies.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator, Mapping, Sequence

import blake3

from archivist.core.bulk_checks import all_blob_digests
from archivist.core.errors import BlobNotFoundError, DamagedBlobError
from archivist.core.progress import Progress
from archivist.storage import parallel_files
from archivist.storage.batches import pairs
from archivist.storage.folder_store import FolderStore
from archivist.storage.hashed_copy import copy_hashed
from archivist.storage.loose import BLOB_MODE, scandir_or_empty
from archivist.storage.pack_index import Location
from archivist.storage.packs import read_packed
from archivist.wire.new_files import exists_error, fill_new, remove_quietly, write_new

_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_NO_LINKS_HERE = {errno.EXDEV, errno.EPERM, errno.EACCES, errno.EOPNOTSUPP, errno.ENOTSUP}
"""``link`` errors meaning no destination of this batch can be linked: copy instead."""


def by_digest(items: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """The destinations of each digest; the digests checked in bulk (one by one, naming a
    bad one, only when the bulk check fails)."""
    destinations: dict[str, list[str]] = {}
    try:
        for digest, path in items:
            destinations.setdefault(digest, []).append(os.fspath(path))
        if all_blob_digests(list(destinations)):
            return destinations
    except (TypeError, ValueError):
        pass
    destinations.clear()
    for digest, path in pairs(items, "dest_path"):
        destinations.setdefault(digest, []).append(os.fspath(path))
    return destinations


def copy_blob_new(source_fd: int, path: str, digest: str, store: FolderStore) -> int:
    """Create ``path`` as a copy of the loose blob ``digest`` open at ``source_fd``, verified
    while it is copied; returns the bytes copied. ``DamagedBlobError`` (``path`` removed)
    when they do not hash to ``digest``."""

    def fill(fd: int) -> int:
        copied, actual = copy_hashed(source_fd, fd, f"blob {digest}")
        if actual != digest:
            raise damaged_blob(store, digest, f"its {copied} bytes hash to blake3 {actual[:12]}...")
        return copied

    return fill_new(path, digest, fill)


def damaged_blob(store: FolderStore, digest: str, what: str) -> DamagedBlobError:
    return DamagedBlobError(
        f"blob {digest} in {store.label} is damaged: {what}; `archivist fsck --repair` removes it, "
        "and logging its file again stores it anew",
        digest,
    )


def verified(store: FolderStore, digest: str, data: bytes) -> bytes:
    """``data`` if it hashes to ``digest``, else ``DamagedBlobError``."""
    actual = blake3.blake3(data).hexdigest()
    if actual != digest:
        raise damaged_blob(store, digest, f"its {len(data)} packed bytes hash to blake3 {actual[:12]}...")
    return data


def packed_bytes(store: FolderStore, located: Mapping[str, Location]) -> Iterator[tuple[str, bytes | None]]:
    """Bytes of packed blobs in (pack, offset) order; a blob whose pack vanished (compacted)
    is looked up once more; one no longer packed at all comes last with None."""
    gone: list[str] = []
    yield from read_packed(store.packs_dir, located.items(), gone)
    if not gone:
        return
    again = store.index.locate(gone)
    still_gone: list[str] = []
    yield from read_packed(store.packs_dir, again.items(), still_gone)
    for digest in [*still_gone, *(d for d in gone if d not in again)]:
        yield digest, None


def copy_blobs(store: FolderStore, destinations: Mapping[str, Sequence[str]], report: Progress) -> None:
    """Write each blob to its new destinations: packed ones in batches from a few threads
    (``parallel_files``) while this thread reads the packs, loose ones copied by the kernel."""
    located = store.index.locate(list(destinations))
    loose: list[str] = [digest for digest in destinations if digest not in located]
    report_bytes = parallel_files.locked(report)  # called from the writing threads

    def write(batch: Sequence[tuple[str, bytes]]) -> None:
        written = 0
        for digest, data in batch:
            verified(store, digest, data)
            for path in destinations[digest]:
                write_new(path, digest, data)
                written += len(data)
        report_bytes(written)

    readable = _still_packed(store, located, loose)  # no longer packed: maybe a loose copy exists
    workers = parallel_files.workers_for(len(located))
    parallel_files.map_batches(write, parallel_files.batches(readable, _data_size), workers)
    for digest in loose:
        source = _open_loose(store, digest)
        try:
            for path in destinations[digest]:
                report(copy_blob_new(source, path, digest, store))
        finally:
            os.close(source)


def _still_packed(
    store: FolderStore, located: Mapping[str, Location], unpacked: list[str]
) -> Iterator[tuple[str, bytes]]:
    """``packed_bytes`` of the blobs still packed; the digests of the others go to ``unpacked``."""
    for digest, data in packed_bytes(store, located):
        if data is None:
            unpacked.append(digest)
        else:
            yield digest, data


def _data_size(item: tuple[str, bytes]) -> int:
    return len(item[1])


def _open_loose(store: FolderStore, digest: str) -> int:
    try:
        return os.open(store.checked_blob_path(digest), _READ)
    except FileNotFoundError:
        raise BlobNotFoundError(f"blob {digest} is not in the store at {store.root}") from None


class _Linker:
    """Hard-links destinations to loose blobs until the filesystem refuses, then copies."""

    def __init__(self, store: FolderStore, report: Progress) -> None:
        self.store = store
        self.report = report
        self.can_link = True

    def link(self, digest: str, path: str) -> bool:
        """Link ``path`` to the loose blob; False when it must be copied instead.

        Raises ``FileNotFoundError`` when the loose blob (or ``path``'s folder) is absent.
        """
        if not self.can_link:
            return False
        try:
            os.link(self.store.checked_blob_path(digest), path)
        except FileExistsError:
            raise exists_error(path, digest) from None
        except OSError as error:
            if error.errno == errno.EMLINK:
                return False  # this blob has too many links; others may still link
            if error.errno in _NO_LINKS_HERE:
                self.can_link = False
                return False
            raise
        return True

    def adopt(self, digest: str, path: str, data: bytes) -> bool:
        """Write a packed blob (verified bytes) to the new file ``path``, read-only, then link
        that file in as the store's loose blob: ``path`` becomes the blob, as a link would, for
        the cost of a copy (no temp file and rename in the store). The store sees the file only
        once it is whole. False (``path`` then not written) when the store refuses links."""
        write_new(path, digest, data, BLOB_MODE)
        try:
            _link_into_store(path, self.store.checked_blob_path(digest))
        except FileExistsError:
            pass  # extracted by another process meanwhile: ``path`` is an identical read-only copy
        except OSError as error:
            remove_quietly(path)
            if error.errno not in _NO_LINKS_HERE:
                raise
            self.can_link = False
            return False
        self.report(len(data))
        return True

    def copy_loose(self, digest: str, paths: Sequence[str]) -> None:
        source = _open_loose(self.store, digest)
        try:
            for path in paths:
                self.report(copy_blob_new(source, path, digest, self.store))
        finally:
            os.close(source)


def link_blobs(store: FolderStore, destinations: Mapping[str, Sequence[str]], report: Progress) -> None:
    """``copy_to(link=True)``: ``report`` gets the bytes written (blobs extracted from
    packs, copies where links are refused); a link writes none."""
    left, absent = _link_loose(store, destinations)
    if left:
        _link_or_extract(store, left, absent, report)


def _link_loose(
    store: FolderStore, destinations: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Sequence[str]], set[str]]:
    """Hard-link each destination to its loose blob, the lean way: one ``link`` per file
    and no lookups, in batches from a few threads (``parallel_files``). Returns the
    destinations left for the careful pass, and which of their digests had no loose blob
    (``ENOENT``). Stops at the first error saying this filesystem links nothing (another
    device, no hard links): the rest is left too."""
    folders = {entry.name for entry in scandir_or_empty(store.root) if len(entry.name) == 2}
    refused = threading.Event()

    def link_batch(batch: Sequence[tuple[str, Sequence[str]]]) -> tuple[dict[str, Sequence[str]], set[str]]:
        return _link_batch(store, folders, batch, refused)

    left: dict[str, Sequence[str]] = {}
    absent: set[str] = set()
    workers = parallel_files.workers_for(sum(len(paths) for paths in destinations.values()))
    for batch_left, batch_absent in parallel_files.map_batches(
        link_batch, parallel_files.batches(destinations.items()), workers
    ):
        left.update(batch_left)
        absent |= batch_absent
    return left, absent


def _link_batch(
    store: FolderStore,
    folders: set[str],
    batch: Sequence[tuple[str, Sequence[str]]],
    refused: threading.Event,
) -> tuple[dict[str, Sequence[str]], set[str]]:
    """``_link_loose`` of one batch; sets ``refused`` when the filesystem links nothing."""
    blob_path, link = store.checked_blob_path, os.link
    left: dict[str, Sequence[str]] = {}
    absent: set[str] = set()
    for position, (digest, paths) in enumerate(batch):
        if refused.is_set():
            left.update(batch[position:])
            break
        if digest[:2] not in folders:  # no loose blob there (a store whose blobs are all packed)
            left[digest] = paths
            absent.add(digest)
            continue
        source = blob_path(digest)
        done = 0
        try:
            for path in paths:
                link(source, path)
                done += 1
        except FileExistsError:
            raise exists_error(paths[done], digest) from None
        except FileNotFoundError:  # no loose blob, or no folder for ``paths[done]``
            left[digest] = paths[done:]
            if not done:
                absent.add(digest)
        except OSError as error:
            left[digest] = paths[done:]  # the careful pass sees why
            if error.errno in _NO_LINKS_HERE:
                refused.set()
    return left, absent


def _link_or_extract(
    store: FolderStore, destinations: Mapping[str, Sequence[str]], absent: set[str], report: Progress
) -> None:
    """Link, extract from packs or copy, per blob, handling each reason a link may fail.
    A blob in ``absent`` (no loose file a moment ago) that is packed is extracted at once."""
    located = store.index.locate(list(destinations))
    linker = _Linker(store, parallel_files.locked(report))  # extract() reports from threads
    unextracted: dict[str, Location] = {}
    left: dict[str, list[str]] = {}
    for digest, paths in destinations.items():
        pending = left[digest] = list(paths)
        if digest in absent and digest in located:
            unextracted[digest] = located[digest]
            continue
        try:
            while pending and linker.link(digest, pending[0]):
                pending.pop(0)
        except FileNotFoundError:
            if digest in located:
                unextracted[digest] = located[digest]  # packed only: extract it below
                continue
            if not os.path.exists(store.checked_blob_path(digest)):
                raise BlobNotFoundError(f"blob {digest} is not in the store at {store.root}") from None
            raise
        if pending and digest in located:
            unextracted[digest] = located[digest]  # copies from the pack read below
        elif pending:
            linker.copy_loose(digest, pending)

    def extract(batch: Sequence[tuple[str, bytes]]) -> None:
        for digest, data in batch:
            verified(store, digest, data)
            paths = left[digest]
            adopted = linker.can_link and linker.adopt(digest, paths[0], data)
            for path in paths[1:] if adopted else paths:
                if not linker.link(digest, path):
                    write_new(path, digest, data)
                    linker.report(len(data))

    workers = parallel_files.workers_for(len(unextracted))
    unpacked: list[str] = []  # no longer packed: maybe a loose copy exists
    readable = _still_packed(store, unextracted, unpacked)
    parallel_files.map_batches(extract, parallel_files.batches(readable, _data_size), workers)
    for digest in unpacked:
        linker.copy_loose(digest, left[digest])


def _link_into_store(path: str, loose: str) -> None:
    try:
        os.link(path, loose)
    except FileNotFoundError:
        if not os.path.exists(path):
            raise
        os.makedirs(os.path.dirname(loose), exist_ok=True)  # a fan-out folder not made yet
        os.link(path, loose)
