"""The contents of an artifact draft: entries being added, where each file's
bytes are on local disk, and the rules for adding the same path twice.

Files are hashed where they are (``file_digests``); with ``policy="mutable"`` (the
default) their bytes are kept as they were when added (in memory, in the store, or in the
client cache), so that changing or deleting a file afterwards does not affect the log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from archivist.core.blob_transfer import BlobSink, BlobTransfer
from archivist.core.errors import InvalidInputError, PathNotFoundError
from archivist.core.manifest import Entry, Manifest
from archivist.core.path_nesting import FolderIndex
from archivist.core.paths import validate_logical_path, walked_logical_paths
from archivist.core.progress import Progress
from archivist.sdk.file_digests import Keeping, digest_files
from archivist.sdk.held_bytes import HeldBytes
from archivist.sdk.stat_cache import StatCache
from archivist.sdk.walk import walk_files_with_stat
from archivist.wire.cyclic_gc_pause import paused_gc

SINK_MIN_FILES = 256
"""``add_dir`` of at least this many files stores small ones as it hashes them, where it can."""


def to_logical(name: str) -> str:
    """Convert a user-given name to a logical path (Windows separators on Windows)."""
    if os.sep == "\\":
        name = name.replace("\\", "/")
    return validate_logical_path(name)


def _folders_of(path: str) -> list[str]:
    """``a/b/c`` -> ``["a/b", "a"]``."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


class DraftContents:
    """Entries of a draft plus the local file behind each stored entry."""

    def __init__(
        self,
        stat_cache_factory: Callable[[], StatCache | None],
        transfer_factory: Callable[[], BlobTransfer] | None = None,
    ) -> None:
        self.manifest = Manifest()
        self.local_paths: dict[str, str] = {}
        self._added_from: dict[str, str] = {}
        self._stat_cache_factory = stat_cache_factory
        self._transfer_factory = transfer_factory
        self.held = HeldBytes()
        self._sinks: list[BlobSink] = []
        """Sinks still storing bytes of files added; the save waits for them."""
        self._folders: FolderIndex | None = None
        """Made when a path is added to a draft that has some (a folder walk cannot nest paths)."""
        self.removed: list[str] = []
        """Paths an incremental draft removes from the version it builds on."""
        self._removed_here: set[str] = set()
        """Of those, the ones that matched entries of the draft itself."""

    def _keeping(self, mutable: bool, file_count: int) -> Keeping:
        """How files being added are kept: a sink for the small files of a large folder."""
        if self._transfer_factory is None:
            return Keeping()
        transfer = self._transfer_factory()
        sink = self._open_sink(transfer) if file_count >= SINK_MIN_FILES else None
        return Keeping(transfer, mutable, sink, lambda: self._open_sink(transfer))

    def _open_sink(self, transfer: BlobTransfer) -> BlobSink:
        sink = transfer.open_sink()
        self._sinks.append(sink)  # the save waits for it
        return sink

    def _folder_index(self) -> FolderIndex:
        if self._folders is None:
            self._folders = FolderIndex(self.manifest.entries)
        return self._folders

    def check_new_path(self, path: str) -> None:
        """Raise if ``path`` is the folder of a path of the draft, or one of them is its folder."""
        if path not in self.manifest:
            self._folder_index().check(path)

    def take_sinks(self) -> list[BlobSink]:
        sinks, self._sinks = self._sinks, []
        return sinks

    def _put(self, entry: Entry, local_path: str | None, overwrite: bool) -> Entry:
        existing = self.manifest.get(entry.path)
        if existing is not None and not overwrite:
            if existing.digest == entry.digest and existing.ref == entry.ref:
                return existing  # re-adding identical content is a no-op
            raise InvalidInputError(
                f"Cannot add the same path twice: {entry.path!r} is already in the artifact with "
                "different content; pass overwrite=True (add_file) or merge=True (add_dir) to replace it"
            )
        if existing is None:
            self.check_new_path(entry.path)
            self._folder_index().add(entry.path)
        self.manifest.put(entry)
        if local_path is None:
            self.local_paths.pop(entry.path, None)
        else:
            self.local_paths[entry.path] = local_path
            self._added_from[local_path] = entry.path
        return entry

    def add_file(
        self, local_path: str, name: str | None, is_tmp: bool, overwrite: bool, mutable: bool = True
    ) -> Entry:
        local_path = os.path.abspath(local_path)
        try:
            st = os.stat(local_path)
        except FileNotFoundError:
            raise PathNotFoundError(f"cannot add {local_path}: no such file") from None
        if not os.path.isfile(local_path):
            raise InvalidInputError(f"Path is not a file: {local_path} (use add_dir for directories)")
        logical = to_logical(name if name is not None else os.path.basename(local_path))
        keeping = self._keeping(mutable, 1)
        found = digest_files(self._stat_cache_factory(), [(local_path, st)], self.held, keeping=keeping)
        digest, size = found[local_path]
        if is_tmp:
            directory, base = os.path.split(logical)
            _stem, ext = os.path.splitext(base)
            logical = to_logical(os.path.join(directory, digest[:20] + ext).replace(os.sep, "/"))
        return self._put(Entry(path=logical, digest=digest, size=size), local_path, overwrite)

    def add_dir(
        self,
        local_path: str,
        name: str | None,
        merge: bool,
        mutable: bool = True,
        progress: Callable[[int], Progress] | None = None,
    ) -> int:
        """``progress(total_bytes)`` gives the callback that counts the bytes digested."""
        with paused_gc():  # bulk allocation, no cycles (see cyclic_gc_pause)
            return self._add_dir(local_path, name, merge, mutable, progress)

    def _add_dir(
        self,
        local_path: str,
        name: str | None,
        merge: bool,
        mutable: bool,
        progress: Callable[[int], Progress] | None,
    ) -> int:
        local_path = os.path.abspath(local_path)
        if not os.path.exists(local_path):
            raise PathNotFoundError(f"cannot add {local_path}: no such directory")
        if not os.path.isdir(local_path):
            raise InvalidInputError(f"Path is not a directory: {local_path} (use add_file for files)")
        prefix = to_logical(name) if name else None
        found = [(abs_path, rel, st) for abs_path, rel, st in walk_files_with_stat(local_path)]
        keeping = self._keeping(mutable, len(found))
        report = None if progress is None else progress(sum(st.st_size for _p, _r, st in found))
        try:
            digests = digest_files(
                self._stat_cache_factory(),
                [(p, st) for p, _rel, st in found],
                self.held,
                under=local_path,
                keeping=keeping,
                progress=report,
            )
        finally:
            if keeping.sink is not None:
                keeping.sink.close()  # it finishes in the background; the save waits for it
        logical = walked_logical_paths(prefix, [relative for _abs, relative, _st in found])
        entries = [
            (Entry(path, *digests[abs_path]), abs_path)
            for path, (abs_path, _relative, _st) in zip(logical, found, strict=True)
        ]
        if not self.manifest:  # the usual case: nothing to compare with, add them all at once
            self._put_new(entries)
            return len(entries)
        self._folder_index().check_batch(e.path for e, _abs in entries if e.path not in self.manifest)
        if not merge:  # check every path first so a refused add_dir adds nothing
            for entry, _abs in entries:
                existing = self.manifest.get(entry.path)
                if existing is not None and existing.digest != entry.digest:
                    self._put(entry, None, overwrite=False)  # raises naming the path
        for entry, abs_path in entries:
            self._put(entry, abs_path, overwrite=merge)
        return len(entries)

    def _put_new(self, entries: Sequence[tuple[Entry, str]]) -> None:
        """Add entries with distinct paths, none the folder of another, to an empty draft."""
        self._folders = None  # made again from the manifest when needed
        put, local_paths, added_from = self.manifest.put, self.local_paths, self._added_from
        for entry, local_path in entries:
            put(entry)
            local_paths[entry.path] = local_path
            added_from[local_path] = entry.path

    def add_entries(self, entries: Sequence[Entry], overwrite: bool = False) -> None:
        self._folder_index().check_batch(e.path for e in entries if e.path not in self.manifest)
        for entry in entries:
            self._put(entry, None, overwrite)

    def remove(self, path: str, from_base: bool = False) -> int:
        """Remove a path, or every entry under ``path/``; returns how many were removed.
        ``from_base``: an incremental draft also removes it from the version it builds on
        (``build_on``), so finding nothing in the draft is no error yet."""
        targets = [path] if path in self.manifest else []
        prefix = path.rstrip("/") + "/"
        targets += [p for p in self.manifest.entries if p.startswith(prefix)]
        if from_base:
            self.removed.append(path)
            if targets:
                self._removed_here.add(path)
        elif not targets:
            raise PathNotFoundError(f"Cannot remove {path!r}: no entry or directory with that path")
        for target in targets:
            self.manifest.pop(target)
            self.local_paths.pop(target, None)
        self._folders = None  # its folders may be gone
        return len(targets)

    def build_on(self, base: Sequence[Entry]) -> None:
        """Add the entries of ``base`` (the version an incremental draft builds on) that the
        draft neither holds nor removed; a removed path found nowhere is an error."""
        removed = {path.rstrip("/") for path in self.removed}
        used: set[str] = set()

        def is_removed(path: str) -> bool:
            for target in (path, *_folders_of(path)):
                if target in removed:
                    used.add(target)
                    return True
            return False

        kept = [entry for entry in base if not is_removed(entry.path) and entry.path not in self.manifest]
        unmatched = [path for path in self.removed if path.rstrip("/") not in used]
        unmatched = [path for path in unmatched if path not in self._removed_here]
        if unmatched:
            raise PathNotFoundError(
                f"Cannot remove {unmatched[0]!r}: no entry or directory with that path in the draft "
                "or in the latest version it builds on"
            )
        self.add_entries(kept)

    def added_path_name(self, local_path: str) -> str | None:
        return self._added_from.get(os.path.abspath(local_path))
