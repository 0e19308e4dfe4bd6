"""Loose blobs: one read-only file per blob, written through a temp file and a rename.

Every write goes to a temp file under the store's ``tmp/`` (same filesystem) and is
renamed into place only once its digest matches: a file that fits in one read is
hashed before anything is written, a larger one is hashed while it streams. A
process killed at any moment therefore never leaves a partial file at a blob path;
it leaves at most a stale temp file, which ``LocalBlobStore.cleanup_temp`` removes.
Blobs are created read-only (0o444, minus the umask).

A durable write (the default; a cache opts out) also survives a power cut: the temp
file is synced before the rename and the folder after it (``syncing``), so a blob path
never names bytes that could still be lost, and the write returns only then.
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager

import blake3

from archivist.core.errors import (
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    StorageError,
)
from archivist.core.manifest import is_blob_digest
from archivist.storage.space import SpaceGuard, no_space_as
from archivist.storage.syncing import make_folders, start_writeback, sync_file, sync_folder
from archivist.wire.file_reads import new_hasher as new_hasher
from archivist.wire.file_reads import open_for_reading as open_for_reading
from archivist.wire.new_files import write_fully

READ_CHUNK_BYTES = 1 << 20
LARGE_CHUNK_BYTES = 16 << 20
"""Chunk size for files above READ_CHUNK_BYTES: large enough for multi-threaded hashing."""
WRITEBACK_BYTES = 16 << 20
"""A durable writer has the kernel start writing back each this many bytes it wrote."""
BLOB_MODE = 0o444
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL  # read back to verify copies
_temp_counter = itertools.count()


def require_blob_digest(digest: str) -> str:
    """``digest`` if it is 64 lowercase hex characters, else ``InvalidInputError``.

    Checked before any path is built from a digest, so none can escape the root.
    """
    if not isinstance(digest, str) or not is_blob_digest(digest):
        raise InvalidInputError(
            f"invalid blob digest {digest!r}: expected 64 lowercase hex characters (a BLAKE3 digest)"
        )
    return digest


_DIGEST_LINES = re.compile("(?:[0-9a-f]{64}\n)*")


def require_blob_digests(digests: Iterable[str]) -> list[str]:
    """The distinct ``digests`` in order, each checked as ``require_blob_digest`` does:
    one match over them all, much cheaper than a check each, then one check each only
    when that match fails, to name the bad one."""
    listed = list(digests)
    try:
        text = "\n".join(listed) + "\n"
    except TypeError:  # a digest that is not a string
        text = ""
    # The length pins every line to 65 characters, so no digest can hold a newline.
    if len(text) != 65 * len(listed) or _DIGEST_LINES.fullmatch(text) is None:
        for digest in listed:
            require_blob_digest(digest)
    return list(dict.fromkeys(listed))


class BlobWriter:
    """A blob being written: bytes go to a temp file and into a BLAKE3 hasher.

    ``commit()`` checks the digest and renames the temp file into place;
    ``abort()`` removes it. Exactly one of the two must be called. ``durable``: the
    kernel writes the bytes back as they come, and ``commit`` syncs the file before the
    rename and its folder after it. ``space``: the store's guard, which refuses a blob of
    ``expected_size`` that would not fit outside the store's reserve of free space; when
    the size is not known the writer stops (``NoSpaceError``) before a step that could reach
    into the reserve.
    """

    def __init__(
        self,
        digest: str,
        final_path: str,
        temp_dir: str,
        durable: bool = True,
        space: SpaceGuard | None = None,
        expected_size: int | None = None,
    ) -> None:
        self.digest = digest
        self.final_path = final_path
        self.durable = durable
        self.space = space
        self._unknown_size = expected_size is None
        self.size = 0
        self._written_back = 0
        # One thread: ``copy_from`` hashes beside a kernel copy that keeps another core busy
        # (on two cores a multi-threaded hash slowed the copy down).
        self._hasher = blake3.blake3()
        with self._no_space():
            self._make_room(LARGE_CHUNK_BYTES if expected_size is None else expected_size)
            self._temp_path, self._fd = _create_temp(temp_dir, digest)

    def _no_space(self) -> AbstractContextManager[None]:
        return no_space_as(self.space.label) if self.space is not None else contextlib.nullcontext()

    def _make_room(self, nbytes: int) -> None:
        if self.space is not None:
            self.space.check(nbytes)

    def _make_room_for_more(self, nbytes: int) -> None:
        if self._unknown_size:
            self._make_room(nbytes)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._hasher.update(data)
        with self._no_space():
            write_fully(self._fd, data)
            self.size += len(data)
            if self.size - self._written_back >= WRITEBACK_BYTES:
                self._start_writeback()
                self._make_room_for_more(WRITEBACK_BYTES)
        return len(data)

    def _start_writeback(self) -> None:
        """Have the kernel start writing back what was written since the last call (durable
        writers only), so that the sync in ``commit`` finds little left to wait for."""
        if self.durable:
            start_writeback(self._fd, self._written_back, self.size - self._written_back)
            self._written_back = self.size

    def copy_from(self, source: int) -> None:
        """Append everything left in the descriptor ``source``.

        The kernel copies (``copy_file_range``: no trip through this process, like
        ``cp``) while a second thread hashes each chunk just written, mapped from the
        page cache (no copy into this process); so what is verified is what was stored,
        and copying and hashing overlap. Falls back to reading and writing where the
        kernel cannot.
        """
        try:
            first = os.copy_file_range(source, self._fd, LARGE_CHUNK_BYTES)
        except OSError:  # another filesystem, or no copy_file_range here
            self._write_from(source)
            return
        self.append_moved(lambda: os.copy_file_range(source, self._fd, LARGE_CHUNK_BYTES), first)

    def append_moved(self, move: Callable[[], int], first: int | None = None) -> None:
        """Append what ``move()`` has the kernel write to this writer's file descriptor
        (``fd``), each call up to ``LARGE_CHUNK_BYTES``, until it returns 0; a second
        thread hashes each step from the page cache meanwhile. ``first``: the count of a
        step already taken."""
        with (
            self._no_space(),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="archivist-hash") as hashing,
        ):
            count = move() if first is None else first
            pending: Future[None] | None = None
            while count:
                start = self.size
                self.size += count
                if pending is not None:
                    pending.result()
                pending = hashing.submit(self._hash_written, start, count)
                self._start_writeback()
                self._make_room_for_more(LARGE_CHUNK_BYTES)
                count = move()
            if pending is not None:
                pending.result()

    @property
    def fd(self) -> int:
        return self._fd

    def _hash_written(self, start: int, count: int) -> None:
        hash_range(self._hasher, self._fd, start, count, f"blob temp file {self._temp_path}")

    def _write_from(self, source: int) -> None:
        buffer = bytearray(LARGE_CHUNK_BYTES)
        view = memoryview(buffer)
        while count := os.readv(source, [buffer]):
            self.write(view[:count])

    def hexdigest(self) -> str:
        """The BLAKE3 of the bytes written so far."""
        return self._hasher.hexdigest()

    def commit(self) -> int:
        """Verify the digest, then move the blob into place; returns its size."""
        actual = self._hasher.hexdigest()
        if actual != self.digest:
            self.abort()
            raise IntegrityError(
                f"blob bytes hash to blake3 {actual[:12]}..., expected {self.digest[:12]}...; "
                "nothing was stored"
            )
        try:
            with self._no_space():
                if self.durable:
                    sync_file(self._fd)
                os.close(self._fd)
                self._fd = -1
                folder = _rename_into_place(self._temp_path, self.final_path, self.durable)
        except BaseException:
            self.abort()
            raise
        if self.durable:
            sync_folder(folder)
        return self.size

    def settle_digest(self, final_path_of: Callable[[str], str]) -> str:
        """For a writer opened without knowing its digest (``ingest``): take the digest of
        what was written as the blob's name; ``commit()`` then moves it into place."""
        self.digest = self._hasher.hexdigest()
        self.final_path = final_path_of(self.digest)
        return self.digest

    def abort(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp_path)


def hash_range(hasher: blake3.blake3, fd: int, start: int, count: int, what: str) -> None:
    """Add ``count`` bytes of the file ``fd`` from ``start`` to ``hasher``, mapped rather than
    read (no copy into this process); ``StorageError`` naming ``what`` when it is shorter."""
    if count == 0:
        return
    shorter = StorageError(f"{what} is shorter than what was copied")
    if os.fstat(fd).st_size < start + count:  # mapped bytes past the end would crash
        raise shorter
    skip = start % mmap.ALLOCATIONGRANULARITY  # maps begin on a granule
    try:
        mapped = mmap.mmap(fd, skip + count, access=mmap.ACCESS_READ, offset=start - skip)
    except (OSError, ValueError):  # a filesystem that cannot map: read it
        while count:
            data = os.pread(fd, min(count, LARGE_CHUNK_BYTES), start)
            if not data:
                raise shorter from None
            hasher.update(data)
            start += len(data)
            count -= len(data)
        return
    with mapped, memoryview(mapped) as view:
        hasher.update(view[skip:])


def check_read_digest(path: str, expected: str, actual: str) -> None:
    if actual != expected:
        raise FileChangedError(
            f"{path} changed while it was being stored: expected blake3 {expected[:12]}..., "
            f"read {actual[:12]}...; nothing was stored"
        )


def store_whole(
    data: bytes, final_path: str, temp_dir: str, digest: str, durable: bool = True, sync_folders: bool = True
) -> str:
    """Write already verified bytes to a temp file and rename it to ``final_path``; returns the
    folder whose entries changed. ``durable``: the file is synced before the rename, and its
    folder after it unless ``sync_folders`` is False (a batch syncs each folder once, at its end)."""
    temp_path = write_temp(data, temp_dir, digest, durable)
    folder = place_temp(temp_path, final_path, durable)
    if durable and sync_folders:
        sync_folder(folder)
    return folder


def write_temp(data: bytes, temp_dir: str, digest: str, durable: bool) -> str:
    """A new temp file holding ``data`` (synced when ``durable``); nothing is left on failure."""
    temp_path, fd = _create_temp(temp_dir, digest)
    try:
        try:
            write_fully(fd, data)
            if durable:
                sync_file(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise
    return temp_path


def place_temp(temp_path: str, final_path: str, durable: bool) -> str:
    """Rename a written temp file to ``final_path`` (removed again if that fails); returns the
    folder that now names it."""
    try:
        return _rename_into_place(temp_path, final_path, durable)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise


def _create_temp(temp_dir: str, digest: str) -> tuple[str, int]:
    """A new, exclusively created temp file (mode 0o444 minus umask) and its descriptor."""
    for attempt in range(3):
        path = f"{temp_dir}/{digest[:16]}.{os.getpid()}.{next(_temp_counter)}.tmp"
        try:
            return path, os.open(path, _TEMP_FLAGS, BLOB_MODE)
        except FileExistsError:
            continue  # a stale file of an earlier process with the same pid
        except FileNotFoundError:
            if attempt:
                raise
            make_folders(temp_dir)  # someone removed tmp/
    raise StorageError(f"could not create a temp file in {temp_dir}: names kept colliding")


def _rename_into_place(temp_path: str, final_path: str, durable: bool) -> str:
    """Rename; returns the folder that now names ``final_path`` (to be synced when durable).
    A fan-out folder made here is synced into its parent at once (``make_folders``)."""
    folder = os.path.dirname(final_path)
    try:
        os.replace(temp_path, final_path)
    except FileNotFoundError:
        if not os.path.exists(temp_path):
            raise StorageError(
                f"temp file {temp_path} vanished before it could be stored (was tmp/ cleaned?)"
            ) from None
        make_folders(folder, durable)
        os.replace(temp_path, final_path)
    return folder


def scandir_or_empty(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except FileNotFoundError:
        return []
