"""Manifests for the UI: read through the Backend and kept in a small LRU cache.

A manifest is content-addressed, so a cached copy can never be stale; the cache
is bounded by the total number of entries it holds, not by manifest count, so
one 100,000-file version cannot crowd memory out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from archivist.client.backend import Backend
from archivist.core.manifest import Entry, Manifest

DEFAULT_ENTRY_BUDGET = 400_000


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


def list_folder(manifest: Manifest, folder: str) -> FolderListing:
    """The direct children of ``folder`` ('' is the root), folders first, each sorted by name."""
    prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
    folders: dict[str, list[int]] = {}
    files: list[Entry] = []
    for entry in manifest:
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
