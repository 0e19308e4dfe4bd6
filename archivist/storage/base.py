"""The BlobStore protocol: content-addressed bytes keyed by hex BLAKE3 digest.

Writes verify the digest while the bytes stream in, so a store never holds a
blob whose name does not match its content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Protocol, runtime_checkable

from archivist.core.progress import Progress
from archivist.core.transfers import CleanupReport

if TYPE_CHECKING:
    from archivist.storage.presigned import PresignedAccess


class UploadSink(Protocol):
    """One blob's bytes arriving in pieces (a server's upload): verified against the
    digest on ``commit`` (``IntegrityError`` when they do not match: nothing is stored)."""

    def write(self, data: bytes | bytearray | memoryview) -> object: ...

    def commit(self) -> object: ...

    def abort(self) -> None:
        """Drop what was written; nothing is stored."""
        ...


class SpliceSink(UploadSink, Protocol):
    """An ``UploadSink`` over a file the kernel can move bytes into (``splice``)."""

    @property
    def fd(self) -> int: ...

    def append_moved(self, move: Callable[[], int], first: int | None = None) -> None:
        """Append what each ``move()`` has the kernel write to ``fd`` (its byte count; 0
        at the end), hashing it on a second thread."""
        ...


class BlobRead(NamedTuple):
    """One blob of a ``read_many``: its bytes come in ``chunks`` (read as iterated)."""

    digest: str
    size: int
    chunks: Iterator[bytes]


@runtime_checkable
class BlobStore(Protocol):
    def missing(self, digests: Iterable[str], sizes: Mapping[str, int] | None = None) -> set[str]:
        """The subset of ``digests`` the store does not hold whole: absent, or held as 0 bytes
        (only the empty blob has none), or with another size than ``sizes`` gives for it.
        The next store of such a blob's bytes replaces what is held."""
        ...

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        """The size of each blob among ``digests`` the store holds whole (absent and certainly
        damaged ones are left out): what a commit checks its entries' sizes against."""
        ...

    def put_file(self, digest: str, path: str) -> int:
        """Store the file at ``path`` as blob ``digest`` and return its size; a blob held with
        another size than the file's is stored again (it is damaged, or the file changed).

        Raises ``FileChangedError`` naming ``path`` when the bytes read do not
        hash to ``digest`` (the file changed since it was hashed); nothing is stored then.
        """
        ...

    def put_bytes(self, digest: str, data: bytes) -> None:
        """Store ``data`` as blob ``digest`` (replacing a held copy of another size);
        ``IntegrityError`` if it does not match."""
        ...

    def put_files(
        self,
        items: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        """Store many ``(digest, path)`` pairs, skipping blobs already held.

        ``held`` maps some digests to their files' bytes, already in memory (verified
        like file bytes, and the file is not read). ``progress`` gets each blob's size.
        A blob that fails (``FileChangedError``, ``PathNotFoundError``, ``IntegrityError``)
        is not stored; every other blob of the batch is, then the first failure is raised.
        """
        ...

    def put_bytes_many(self, items: Sequence[tuple[str, bytes]], progress: Progress | None = None) -> None:
        """Store many ``(digest, bytes)`` pairs, with the batch semantics of ``put_files``."""
        ...

    def copy_to(
        self,
        items: Sequence[tuple[str, str]],
        link: bool = False,
        progress: Progress | None = None,
    ) -> None:
        """Write each ``(digest, dest_path)`` blob to ``dest_path``, a new file (``FileExistsError``
        if it exists) in an existing folder, written whole or not at all. Bytes are verified
        as written (``DamagedBlobError`` names a blob that does not hold its digest's bytes).

        ``link=True`` asks for hard links to read-only blobs where the store can (a folder
        store); otherwise, and where linking fails, the bytes are copied.
        """
        ...

    def open(self, digest: str) -> BinaryIO:
        """A binary reader of the blob; ``BlobNotFoundError`` if absent."""
        ...

    def local_path(self, digest: str) -> str | None:
        """A read-only file path holding the blob when the store is a local folder, else None."""
        ...

    def delete(self, digest: str) -> None:
        """Remove a blob (garbage collection); absent blobs are ignored."""
        ...

    def iter_digests(self) -> Iterator[str]:
        """Every digest stored (for garbage collection)."""
        ...

    def delete_many(self, digests: Iterable[str]) -> None:
        """Remove many blobs (absent ones are ignored), in as few store operations as it can."""
        ...

    # --- a server's byte paths ------------------------------------------------------------
    def open_upload(self, digest: str, size: int | None = None) -> UploadSink:
        """A sink for the streamed bytes of blob ``digest`` (``size`` bytes if known:
        ``NoSpaceError`` at once where the store can tell they would not fit)."""
        ...

    def open_splice_upload(self, digest: str) -> SpliceSink | None:
        """A sink the kernel can move socket bytes into; None when the store has no such file
        (then ``open_upload``)."""
        ...

    def open_sized(self, digest: str) -> tuple[BinaryIO, int]:
        """An unbuffered-where-possible reader of the blob and its size; ``BlobNotFoundError``."""
        ...

    def read_many(self, digests: Sequence[str]) -> Iterator[BlobRead]:
        """Each of the distinct ``digests`` once, in the order the store reads best (not the
        order asked). Checks first that every one is held: ``BlobNotFoundError`` naming
        some that are not, before any byte is read."""
        ...

    def presigned_access(self) -> PresignedAccess | None:
        """The store's presigned client transfers; None when clients cannot reach it
        (their bytes go through the server)."""
        ...

    # --- age, upkeep, space ---------------------------------------------------------------
    def blob_times(self, digests: Iterable[str]) -> dict[str, float]:
        """When each held blob among ``digests`` was written (seconds since the epoch), for
        those the store can tell (garbage collection counts the others from its first sweep)."""
        ...

    def compact_packs(self) -> int:
        """Rewrite packs mostly deleted; the bytes reclaimed (0 for a store without packs).
        ``NoSpaceError`` when there is no room to do it."""
        ...

    def cleanup_temp(self, older_than_seconds: float) -> int:
        """Remove files left by killed writers older than this; the bytes reclaimed."""
        ...

    def clean_stale_uploads(self, older_than_seconds: float, now: float | None = None) -> CleanupReport:
        """Remove uploads begun more than ``older_than_seconds`` before ``now`` and never
        finished (temp files; staged objects and open multipart uploads)."""
        ...

    def free_bytes(self) -> int | None:
        """Free bytes on the store's disk; None when it is not on a local disk."""
        ...
