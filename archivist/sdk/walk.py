"""Walk a directory tree fast: every regular file with its POSIX path relative
to the root. Symlinks are followed (as W&B does) with protection against loops."""

from __future__ import annotations

import os
from collections.abc import Iterator
from stat import S_ISDIR, S_ISREG


def walk_files(root: str) -> Iterator[tuple[str, str]]:
    """Yield ``(absolute_path, relative_posix_path)`` for every file under ``root``."""
    for abs_path, relative, _stat in walk_files_with_stat(root):
        yield abs_path, relative


def walk_files_with_stat(root: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """Like ``walk_files`` but also yields each file's ``os.stat`` (following links)."""
    root = os.path.abspath(root)
    root_stat = os.stat(root)
    # Each directory carries the identities of its ancestors: a link back to one of them is
    # a loop, while two links to the same sibling folder are both walked (as os.walk does).
    stack: list[tuple[str, str, frozenset[tuple[int, int]]]] = [
        (root, "", frozenset({(root_stat.st_dev, root_stat.st_ino)}))
    ]
    while stack:
        directory, prefix, ancestors = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError as exc:
            raise PermissionError(f"cannot read directory {directory}: permission denied") from exc
        subdirs: list[tuple[str, str, frozenset[tuple[int, int]]]] = []
        for entry in entries:
            relative = f"{prefix}{entry.name}"
            try:
                st = entry.stat()  # follows symlinks
            except FileNotFoundError:
                continue  # a dangling symlink or a file removed while walking
            if S_ISREG(st.st_mode):
                yield entry.path, relative, st
            elif S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    continue  # a symlink loop
                subdirs.append((entry.path, relative + "/", ancestors | {key}))
        stack.extend(reversed(subdirs))
