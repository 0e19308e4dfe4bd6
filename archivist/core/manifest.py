"""The manifest: logical path -> entry (digest, size, optional reference URI).

A manifest is stored as a content-addressed blob in the line format of
``core.manifest_format`` (version 2, sorted JSON Lines; version 1 is still
read). ``Manifest`` holds one in memory (a draft, a small version);
``iter_manifest_entries`` and ``summarise_manifest`` read one as a stream in
bounded memory. Every path is validated again when a manifest is read, so a
download can never write outside its root, whatever produced the manifest.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import blake3

from archivist.core.manifest_entry import EMPTY_BLOB_DIGEST, NO_EXTRA, Entry, hash_bytes, is_blob_digest
from archivist.core.manifest_format import (
    DIGEST_ALGORITHM,
    STORAGE_POLICY,
    VERSION_2,
    encode_manifest,
    v1_document,
)
from archivist.core.manifest_reader import iter_manifest_entries
from archivist.core.path_nesting import SortedNestingCheck

MANIFEST_VERSION = VERSION_2
ARTIFACT_DIGEST_HEADER = "wandb-artifact-manifest-v1\n"
_DIGEST_BATCH = 4096
_PATH = attrgetter("path")

__all__ = [
    "ARTIFACT_DIGEST_HEADER",
    "DIGEST_ALGORITHM",
    "EMPTY_BLOB_DIGEST",
    "MANIFEST_VERSION",
    "NO_EXTRA",
    "STORAGE_POLICY",
    "ArtifactDigester",
    "Entry",
    "Manifest",
    "ManifestSummary",
    "artifact_digest",
    "hash_bytes",
    "is_blob_digest",
    "iter_manifest_entries",
    "summarise_manifest",
]


class ArtifactDigester:
    """The artifact digest built incrementally from entries given in path order:
    BLAKE3 over the fixed header and the ``path:digest`` lines (W&B's recipe)."""

    def __init__(self) -> None:
        self._hasher = blake3.blake3(ARTIFACT_DIGEST_HEADER.encode())
        self._lines: list[str] = []

    def add(self, entry: Entry) -> None:
        self._lines.append(f"{entry.path}:{entry.digest}\n")
        if len(self._lines) >= _DIGEST_BATCH:
            self._flush()

    def _flush(self) -> None:
        self._hasher.update("".join(self._lines).encode())
        self._lines.clear()

    def hexdigest(self) -> str:
        self._flush()
        return self._hasher.hexdigest()


def artifact_digest(entries: Iterable[Entry]) -> str:
    """BLAKE3 over the fixed header and the sorted ``path:digest`` lines (W&B's recipe)."""
    return _digest_of_sorted(sorted(entries, key=_PATH))


def _digest_of_sorted(entries: Iterable[Entry]) -> str:
    digester = ArtifactDigester()
    for entry in entries:
        digester.add(entry)
    return digester.hexdigest()


@dataclass
class ManifestSummary:
    """What a commit needs from a manifest, gathered while streaming it once."""

    digest: str
    size: int
    file_count: int
    blobs: set[str] = field(default_factory=set)
    blob_sizes: dict[str, int] = field(default_factory=dict)
    """The size each entry claims for its blob (read from a stored manifest; a commit checks
    them against the store). Empty for a summary built in this process from files it measured."""
    size_conflicts: dict[str, str] = field(default_factory=dict)
    """Blobs that entries give two sizes, each with the path of an entry that disagrees."""

    def __len__(self) -> int:
        return self.file_count

    def blob_digests(self) -> set[str]:
        """Digests of the stored (non-reference) files the manifest names."""
        return self.blobs

    @classmethod
    def of(cls, manifest: Manifest, digest: str) -> ManifestSummary:
        """The summary of an in-memory ``manifest`` whose artifact digest ``digest`` the
        caller computed from it already (computing it again costs a pass over the entries)."""
        return cls(digest, manifest.size, len(manifest), manifest.blob_digests())


def summarise_manifest(blocks: Iterable[bytes]) -> ManifestSummary:
    """Artifact digest, size, entry count and blob digests of a serialised manifest, in one
    pass holding one entry at a time (plus the set of blob digests). ``InvalidInputError``
    if a path is the folder of another (``core.path_nesting``): no one could download it."""
    digester = ArtifactDigester()
    size = count = 0
    sizes: dict[str, int] = {}
    conflicts: dict[str, str] = {}
    check_nesting = SortedNestingCheck().add
    for entry in iter_manifest_entries(blocks):
        check_nesting(entry.path)
        digester.add(entry)
        size += entry.size
        count += 1
        if entry.ref is None and sizes.setdefault(entry.digest, entry.size) != entry.size:
            conflicts.setdefault(entry.digest, entry.path)
    return ManifestSummary(digester.hexdigest(), size, count, set(sizes), sizes, conflicts)


class Manifest:
    """An in-memory mapping of logical path -> Entry with (de)serialisation."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._entries: dict[str, Entry] = {}
        self._sorted: list[Entry] | None = None
        for entry in entries:
            self._entries[entry.path] = entry

    @property
    def entries(self) -> dict[str, Entry]:
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __contains__(self, path: object) -> bool:
        return path in self._entries

    def get(self, path: str) -> Entry | None:
        return self._entries.get(path)

    def put(self, entry: Entry) -> None:
        self._entries[entry.path] = entry
        self._sorted = None

    def pop(self, path: str) -> Entry:
        self._sorted = None
        return self._entries.pop(path)

    def copy(self) -> Manifest:
        return Manifest(self._entries.values())

    def sorted_entries(self) -> list[Entry]:
        """The entries in path order, sorted once until the manifest changes (the digest
        and the serialised form both need this order)."""
        if self._sorted is None:
            self._sorted = sorted(self._entries.values(), key=_PATH)
        return self._sorted

    def iter_prefix(self, path_prefix: str | None) -> Iterator[Entry]:
        """Entries whose path starts with ``path_prefix`` (a plain string prefix), in path order."""
        ordered = self.sorted_entries()
        if not path_prefix:
            yield from ordered
            return
        for index in range(bisect_left(ordered, path_prefix, key=_PATH), len(ordered)):
            entry = ordered[index]
            if not entry.path.startswith(path_prefix):
                return
            yield entry

    def digest(self) -> str:
        return _digest_of_sorted(self.sorted_entries())

    @property
    def size(self) -> int:
        return sum(e.size for e in self._entries.values())

    def blob_digests(self) -> set[str]:
        """Digests of the stored (non-reference) files this manifest needs."""
        return {e.digest for e in self._entries.values() if e.ref is None}

    def encode(self) -> Iterator[bytes]:
        """The serialised manifest (format version 2) in blocks of whole lines."""
        return encode_manifest(self.sorted_entries())

    def to_bytes(self) -> bytes:
        return b"".join(self.encode())

    def to_json_document(self) -> dict[str, Any]:
        """The manifest in W&B's v1 layout (``{"version": 1, "contents": {...}}``)."""
        return v1_document(self.sorted_entries())

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        return cls(iter_manifest_entries([data]))

    @classmethod
    def from_blocks(cls, blocks: Iterable[bytes]) -> Manifest:
        """Read a manifest streamed in pieces (never holding its serialised bytes whole)."""
        return cls(iter_manifest_entries(blocks))
