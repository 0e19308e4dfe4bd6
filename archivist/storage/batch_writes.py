"""Storing a batch of blobs in a folder store (``put_files``, ``put_bytes_many``).

Blobs held whole are skipped, damaged ones stored again (``whole_blobs``). Small blobs are
appended to one pack (a few past the store's pack size), indexed in one transaction once
their bytes are synced; larger ones given as bytes become files of their own, synced from
a few threads (``LooseBatch``); larger files are copied in by ``put_file``. A blob that
fails is not stored, every other blob of the batch is, then the first failure is raised.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from archivist.core.errors import ArchivistError, FileChangedError
from archivist.core.progress import Progress
from archivist.storage import whole_blobs
from archivist.storage.batches import BATCH_ERRORS, raise_first
from archivist.storage.folder_store import FolderStore, pack_writer
from archivist.storage.loose_batch import LooseBatch


def store_batch(
    store: FolderStore,
    digests: Sequence[str],
    load: Callable[[str], tuple[bytes | None, str]],
    expected: whole_blobs.ExpectedSize,
    report: Progress,
    trusted: Mapping[str, bytes] | None = None,
) -> None:
    """Pack the verified bytes ``load(digest) -> (bytes, path)`` gives for each digest not
    held whole yet (``expected``: each blob's true size); bytes None means a file too
    large to pack, stored loose from ``path``. ``trusted``: bytes known to hash to their
    digest, packed without a call per blob."""
    held, suspects = whole_blobs.held_whole(store, digests, expected)
    if held:
        report(sum(held.values()))
    todo = [digest for digest in digests if digest not in held]
    store.space.check(sum(expected(digest) or 0 for digest in todo))
    quick: list[tuple[str, bytes]] = []
    if trusted:
        limit, rest = store.pack_blob_max_bytes, []
        for digest in todo:
            data = trusted.get(digest)
            if data is not None and len(data) <= limit:
                quick.append((digest, data))
            else:
                rest.append(digest)
        todo = rest
    errors: list[ArchivistError] = []
    writer = pack_writer(store)
    loose = LooseBatch(store.temp_dir, store.durable)
    try:
        writer.add_many(quick, report)
        for digest in todo:
            try:
                data, path = load(digest)
                if data is None:
                    report(store.put_file(digest, path))
                    continue
            except BATCH_ERRORS as error:
                if isinstance(error, FileChangedError) and digest in suspects:
                    report(os.stat(store.checked_blob_path(digest)).st_size)  # kept, as put_file does
                    continue
                errors.append(error)
                continue
            if len(data) > store.pack_blob_max_bytes:
                loose.add(digest, data, store.blob_path(digest))  # renamed over a suspect file
            else:
                writer.add(digest, data)
            report(len(data))
        loose.finish()
        writer.finish()
    except BaseException:
        loose.abort()
        writer.abort()
        raise
    packed_now = {digest for digest, _data in quick} | set(writer.added)
    for digest in suspects & packed_now:  # verified bytes of another size are now packed
        whole_blobs.remove_loose(store, digest)
    raise_first(errors)
