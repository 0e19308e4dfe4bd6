"""The BlobStore protocol: content-addressed bytes keyed by hex BLAKE3 digest.

Writes verify the digest while the bytes stream in, so a store never holds a
blob whose name does not match its content.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class BlobStore(Protocol):
    def missing(self, digests: Iterable[str]) -> set[str]:
        """The subset of ``digests`` the store does not hold."""
        ...

    def put_file(self, digest: str, path: str) -> int:
        """Store the file at ``path`` as blob ``digest`` and return its size.

        Raises ``FileChangedError`` naming ``path`` when the bytes read do not
        hash to ``digest`` (the file changed since it was hashed); nothing is stored then.
        """
        ...

    def put_bytes(self, digest: str, data: bytes) -> None:
        """Store ``data`` as blob ``digest``; ``IntegrityError`` if it does not match."""
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
