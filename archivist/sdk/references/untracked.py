"""References with a scheme no handler reads: recorded by URI, never downloadable."""

from __future__ import annotations

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import Entry
from archivist.core.paths import validate_logical_path


class UntrackedReferenceHandler:
    """Any scheme nobody handles: the digest is the URI; it cannot be checked or fetched."""

    scheme = "*"
    cache_downloads = False

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        if not name:
            raise InvalidInputError(
                f"reference {uri!r} has a scheme Archivist cannot read (readable: file, s3, gs, "
                "http, https, Azure blob URLs, wandb-artifact); pass name= to track it by URI only"
            )
        return [Entry(path=validate_logical_path(name), digest=uri, size=0, ref=uri)]

    def load(self, entry: Entry, dest_path: str) -> None:
        raise InvalidInputError(
            f"reference {entry.path!r} ({entry.ref}): scheme not recognized, it cannot be downloaded"
        )

    def check(self, entry: Entry) -> str | None:
        return None

    def records_checksum(self, entry: Entry) -> bool:
        return False
