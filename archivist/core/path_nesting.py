"""A version's paths name files, so no path may also be the folder of another (``a`` and
``a/b``): no folder on disk can hold both, and such a version could never be downloaded.

``SortedNestingCheck`` checks paths given in sorted order (a stored manifest, streamed by a
commit) in one pass, holding only the few paths that may still be folders of later ones.
``FolderIndex`` checks the paths a draft gains, one by one or in batches, in any order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from archivist.core.errors import InvalidInputError


def nesting_error(file: str, nested: str) -> InvalidInputError:
    return InvalidInputError(
        f"path {file!r} cannot be both a file and the folder of {nested!r}: a version cannot hold "
        "both (no folder on disk could); rename or remove one of them"
    )


class SortedNestingCheck:
    """Fed paths in strictly increasing order, raises at the first one under an earlier path.

    The paths under ``p/`` sort together, after ``p`` and before ``p0`` (``0`` follows ``/``);
    between ``p`` and them come only paths that extend ``p`` with a character before ``/``.
    So an earlier path stays a candidate folder only while such paths follow it: usually
    it is dropped at the next path, and each path costs one ``startswith``.
    """

    def __init__(self) -> None:
        self._candidates: list[str] = []

    def add(self, path: str) -> None:
        candidates = self._candidates
        if len(candidates) == 1 and not path.startswith(candidates[0]):
            candidates[0] = path  # the usual case, in short
            return
        kept: list[str] = []
        for earlier in self._candidates:
            if path.startswith(earlier):
                following = path[len(earlier)]  # path sorts after earlier: it is longer
                if following == "/":
                    raise nesting_error(earlier, path)
                if following < "/":
                    kept.append(earlier)
        kept.append(path)
        self._candidates = kept


def check_paths(paths: Iterable[str]) -> None:
    """Raise if a path is the folder of another; the paths are sorted once."""
    check = SortedNestingCheck()
    for path in sorted(set(paths)):
        check.add(path)


class FolderIndex:
    """The folders a draft's files make, each with one file under it (to name in errors).

    ``files``: the draft's paths, a live collection (its manifest's mapping) that the draft
    updates itself, calling ``add`` for each path it gains. One that loses paths makes a new
    index (folders are not counted, so they cannot be taken back)."""

    def __init__(self, files: Collection[str]) -> None:
        self._files = files
        self._folders: dict[str, str] = {}
        for path in files:
            self.add(path)

    def check(self, path: str) -> None:
        """Raise if ``path`` is a folder of a file here, or a file here is a folder of it."""
        under = self._folders.get(path)
        if under is not None:
            raise nesting_error(path, under)
        for folder in _folders_of(path):
            if folder in self._files:
                raise nesting_error(folder, path)

    def check_batch(self, paths: Iterable[str]) -> None:
        """``check`` each path, and the paths among themselves, before any is added."""
        paths = list(paths)
        for path in paths:
            self.check(path)
        check_paths(paths)

    def add(self, path: str) -> None:
        """Record the folders of a file the draft gained (``check`` it first)."""
        for folder in _folders_of(path):
            self._folders.setdefault(folder, path)


def _folders_of(path: str) -> Iterator[str]:
    """``a/b/c`` -> ``a``, ``a/b``."""
    slash = path.find("/")
    while slash != -1:
        yield path[:slash]
        slash = path.find("/", slash + 1)
