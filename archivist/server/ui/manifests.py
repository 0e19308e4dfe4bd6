"""Manifests for the UI: a version's folders, one of its files, and what changed between two.

Versions of up to ``STREAM_FROM_ENTRIES`` entries are read whole through the Backend and kept
in a small LRU cache (a manifest is content-addressed, so a cached copy can never be stale;
the cache is bounded by the entries it holds, not by manifest count). Larger ones are read as
a stream for each page instead (``archivist.core.manifest_reader``): a folder or a file reads
only the entries under its path, a comparison walks both manifests side by side, and none of
them holds a whole manifest in memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from archivist.client.backend import Backend
from archivist.core.manifest import Entry, Manifest
from archivist.core.manifest_diff import diff_lines
from archivist.core.manifest_reader import iter_manifest_entries, iter_manifest_lines
from archivist.core.models import VersionRecord
from archivist.server.ui.diffing import FileDiff, diff_changes, diff_manifests
from archivist.wire.manifest_blocks import manifest_blocks

DEFAULT_ENTRY_BUDGET = 400_000
STREAM_FROM_ENTRIES = 100_000
"""Versions with more entries than this are never loaded whole."""


class ManifestCache:
    def __init__(self, entry_budget: int = DEFAULT_ENTRY_BUDGET) -> None:
        self._entry_budget = entry_budget
        self._held = 0
        self._manifests: OrderedDict[str, Manifest] = OrderedDict()
        self._lock = threading.Lock()

    def manifest(self, backend: Backend, digest: str) -> Manifest:
        """The manifest stored under ``digest`` (a version's ``manifest_digest``)."""
        with self._lock:
            cached = self._manifests.get(digest)
            if cached is not None:
                self._manifests.move_to_end(digest)
                return cached
        manifest = Manifest.from_bytes(backend.read_bytes(digest))
        with self._lock:
            if digest not in self._manifests:
                self._manifests[digest] = manifest
                self._held += len(manifest)
                while self._held > self._entry_budget and len(self._manifests) > 1:
                    _, evicted = self._manifests.popitem(last=False)
                    self._held -= len(evicted)
        return manifest


@dataclass(frozen=True)
class Folder:
    """A folder inside a version: its path, how many files it holds (at any depth) and their size."""

    path: str
    name: str
    file_count: int
    size: int


@dataclass(frozen=True)
class FolderListing:
    path: str
    folders: list[Folder]
    files: list[Entry]

    @property
    def children(self) -> list[Folder | Entry]:
        return [*self.folders, *self.files]


def folder_listing(
    cache: ManifestCache, backend: Backend, version: VersionRecord, folder: str
) -> FolderListing:
    """``list_folder`` of the version's manifest (streamed when the version is large)."""
    if version.file_count <= STREAM_FROM_ENTRIES:
        return list_folder(cache.manifest(backend, version.manifest_digest), folder)
    with manifest_blocks(backend, version) as blocks:
        return list_folder(iter_manifest_entries(blocks, _folder_prefix(folder) or None), folder)


def find_entry(cache: ManifestCache, backend: Backend, version: VersionRecord, path: str) -> Entry | None:
    """The version's entry at ``path``, if any (streamed when the version is large)."""
    if version.file_count <= STREAM_FROM_ENTRIES:
        return cache.manifest(backend, version.manifest_digest).get(path)
    with manifest_blocks(backend, version) as blocks:
        return next((entry for entry in iter_manifest_entries(blocks, path) if entry.path == path), None)


def compare_files(
    cache: ManifestCache, backend: Backend, old: VersionRecord, new: VersionRecord, keep: int
) -> FileDiff:
    """What changed from ``old`` to ``new``: every path counted, at most ``keep`` rows of each kind."""
    if max(old.file_count, new.file_count) <= STREAM_FROM_ENTRIES:
        return diff_manifests(
            cache.manifest(backend, old.manifest_digest), cache.manifest(backend, new.manifest_digest), keep
        )
    with manifest_blocks(backend, old) as before, manifest_blocks(backend, new) as after:
        return diff_changes(diff_lines(iter_manifest_lines(before), iter_manifest_lines(after)), keep)


def _folder_prefix(folder: str) -> str:
    return f"{folder.strip('/')}/" if folder.strip("/") else ""


def list_folder(entries: Iterable[Entry], folder: str) -> FolderListing:
    """The direct children of ``folder`` ('' is the root) among ``entries``, folders first,
    each sorted by name."""
    prefix = _folder_prefix(folder)
    folders: dict[str, list[int]] = {}
    files: list[Entry] = []
    for entry in entries:
        if not entry.path.startswith(prefix):
            continue
        rest = entry.path[len(prefix) :]
        head, slash, _ = rest.partition("/")
        if slash:
            stats = folders.setdefault(head, [0, 0])
            stats[0] += 1
            stats[1] += entry.size
        else:
            files.append(entry)
    folder_rows = [
        Folder(path=prefix + name, name=name, file_count=count, size=size)
        for name, (count, size) in sorted(folders.items())
    ]
    files.sort(key=lambda e: e.path)
    return FolderListing(prefix.rstrip("/"), folder_rows, files)
