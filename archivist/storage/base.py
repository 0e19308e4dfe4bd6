"""The BlobStore protocol: content-addressed bytes keyed by hex BLAKE3 digest.

Writes verify the digest while the bytes stream in, so a store never holds a
blob whose name does not match its content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import BinaryIO, Protocol, runtime_checkable


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
        progress: Callable[[int], None] | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        """Store many ``(digest, path)`` pairs, skipping blobs already held.

        ``held`` maps some digests to their files' bytes, already in memory (verified
        like file bytes, and the file is not read). ``progress`` gets each blob's size.
        A blob that fails (``FileChangedError``, ``PathNotFoundError``, ``IntegrityError``)
        is not stored; every other blob of the batch is, then the first failure is raised.
        """
        ...

    def put_bytes_many(
        self, items: Sequence[tuple[str, bytes]], progress: Callable[[int], None] | None = None
    ) -> None:
        """Store many ``(digest, bytes)`` pairs, with the batch semantics of ``put_files``."""
        ...

    def copy_to(
        self,
        items: Sequence[tuple[str, str]],
        link: bool = False,
        progress: Callable[[int], None] | None = None,
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
