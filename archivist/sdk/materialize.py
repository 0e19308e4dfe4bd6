"""Putting a version's files on disk (download, checkout) and checking a folder
against a manifest (verify).

A download into a new or empty folder writes every file straight to its place
(``BlobTransfer.place_blobs``: kernel copies or hard links from the embedded store, the
client cache or batched requests for a server). Into a
folder that holds files already, each destination is compared first (size, then BLAKE3
through the stat cache): right files are left alone, others are removed -- never written
through, since one may be a hard link to a read-only blob -- and written anew.

A symlink inside the root is never written or deleted through (it could point outside):
one that stands where the version has a folder is replaced by a real folder (as ``git
checkout`` does), one that stands where it has a file is replaced like any wrong file, and
checkout removes other links themselves, never what they point to.

Stored files are written in place, not through temporary names: a file whose writing fails
is removed again, but a download killed mid-way can leave one shorter than its entry, and the
next download into the folder repairs it by the comparison above. When another process
downloads into the same folder at once, files it created meanwhile are replaced atomically
(temporary name, then rename), so each file ends whole. References are fetched from their source
(``references.download``) to a temporary name and renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence

from archivist.core.bulk_checks import all_plain_logical_paths
from archivist.core.errors import IntegrityError, PathNotFoundError
from archivist.core.manifest import Entry, Manifest, is_blob_digest
from archivist.core.sizes import format_size
from archivist.sdk.context import Context
from archivist.sdk.draft_contents import digest_files
from archivist.sdk.references.artifact import SCHEME as ARTIFACT_SCHEME
from archivist.sdk.references.checking import check_references
from archivist.sdk.references.download import fetch_reference
from archivist.sdk.termlog import termwarn, transfer_progress
from archivist.sdk.walk import walk_files_with_stat
from archivist.wire.cyclic_gc_pause import paused_gc
from archivist.wire.new_files import temp_beside


def destination(root: str, logical_path: str) -> str:
    """The file for a logical path under ``root`` (absolute and normalised); refuses
    anything that would land outside root or on root itself."""
    return _destination(root if root.endswith(os.sep) else root + os.sep, logical_path)


def _destination(prefix: str, logical_path: str) -> str:
    probe = f"/{logical_path}/"
    if (
        "/../" not in probe
        and "/./" not in probe
        and "//" not in probe
        and (os.sep == "/" or _portable(logical_path))
    ):
        return prefix + (logical_path if os.sep == "/" else logical_path.replace("/", os.sep))
    # Manifests are validated when parsed, so only hand-made entries get here.
    dest = os.path.normpath(os.path.join(prefix, *logical_path.split("/")))
    if not dest.startswith(prefix) or len(dest) <= len(prefix):
        raise IntegrityError(f"manifest path {logical_path!r} would be written outside {prefix}")
    return dest


def _destinations(prefix: str, entries: Sequence[Entry]) -> dict[str, str]:
    """Each entry's file under ``prefix`` by logical path, the paths checked in bulk (one
    by one, with their error, only when the bulk check cannot vouch for them all)."""
    paths = [entry.path for entry in entries]
    if os.sep == "/" and all_plain_logical_paths(paths):
        return {path: prefix + path for path in paths}
    return {path: _destination(prefix, path) for path in paths}


def _portable(logical_path: str) -> bool:
    """No Windows separator or drive in the path (checked only where os.sep is not '/')."""
    return "\\" not in logical_path and ":" not in logical_path


def download_entries(
    ctx: Context,
    entries: Sequence[Entry],
    root: str,
    skip_cache: bool,
    allow_missing_references: bool,
    link: bool = False,
) -> None:
    """Make ``root`` hold every entry's file (files not in ``entries`` are left alone).

    ``link``: stored files become hard links to read-only blobs (the embedded store's, or
    the client cache's), copies where linking is impossible.
    """
    root = os.path.normpath(os.path.abspath(root))
    with paused_gc():  # bulk allocation, no cycles
        dests = _destinations(root if root.endswith(os.sep) else root + os.sep, entries)
    fresh = _new_or_empty(root)
    todo = list(entries)
    if not fresh:
        _replace_folder_links(root, dests.values())
        present, stale = _compare_existing(ctx, entries, dests)
        todo = [e for e in entries if e.path not in present]
        _remove_stale(stale)
    stored = [e for e in todo if e.ref is None]
    refs = [e for e in todo if e.ref is not None]
    total = sum(e.size for e in todo)
    with transfer_progress(f"Downloading {len(todo)} files ({format_size(total)})", total) as advance:
        _make_parents(root, (dests[e.path] for e in todo))
        if stored:
            ctx.transfer.place_blobs(stored, dests, advance, link=link, skip_cache=skip_cache)
        for entry in refs:
            try:
                fetch_replacing(ctx, entry, dests[entry.path], skip_cache)
            except PathNotFoundError as exc:
                if not allow_missing_references:
                    raise
                termwarn(f"skipped missing reference {entry.path!r}: {exc}")
            advance(entry.size)


def _new_or_empty(root: str) -> bool:
    """Create ``root`` if needed; True when it did not exist or holds nothing."""
    try:
        os.mkdir(root)
        return True
    except FileNotFoundError:
        os.makedirs(root, exist_ok=True)
        return True
    except FileExistsError:
        pass
    with os.scandir(root) as found:
        return next(found, None) is None


def _replace_folder_links(root: str, dests: Iterable[str]) -> None:
    """Replace each symlink on the way from ``root`` to a destination by an empty folder,
    so that nothing is compared, removed or written through it. Each folder is looked at
    once (a version of 20,000 files has a few hundred)."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    seen: set[str] = set()
    for parent in sorted({dest.rpartition(os.sep)[0] + os.sep for dest in dests} - {prefix}):
        names = parent[len(prefix) : -1].split(os.sep)
        for depth in range(1, len(names) + 1):
            folder = prefix + os.sep.join(names[:depth])
            if folder in seen:
                continue
            seen.add(folder)
            try:
                is_link = stat.S_ISLNK(os.lstat(folder).st_mode)
            except (FileNotFoundError, NotADirectoryError):
                break  # nothing deeper exists either
            if is_link:
                os.unlink(folder)  # the link itself; what it points to is left alone
                os.mkdir(folder)
                termwarn(f"replaced the symlink {folder} by a folder: files are never written through a link")


def _compare_existing(
    ctx: Context, entries: Sequence[Entry], dests: Mapping[str, str]
) -> tuple[set[str], list[str]]:
    """Logical paths whose file already holds the entry's content, and the existing files of
    stored entries that do not (to be removed before writing)."""
    candidates: list[tuple[str, os.stat_result]] = []
    by_dest: dict[str, Entry] = {}
    stale: list[str] = []
    for entry in entries:
        dest = dests[entry.path]
        try:
            st = os.lstat(dest)  # a symlink is a wrong file, even if its target is right
        except (FileNotFoundError, NotADirectoryError):
            continue
        # A reference recorded by ETag or URI cannot be compared: it is fetched again.
        if is_blob_digest(entry.digest) and stat.S_ISREG(st.st_mode) and _size_matches(entry, st.st_size):
            candidates.append((dest, st))
            by_dest[dest] = entry
        elif entry.ref is None:
            stale.append(dest)
    present: set[str] = set()
    if candidates:
        for dest, (digest, _size) in _digests_of_found(ctx, candidates).items():
            entry = by_dest[dest]
            if digest == entry.digest:
                present.add(entry.path)
            elif entry.ref is None:
                stale.append(dest)
    return present, stale


COMPARE_ATTEMPTS = 5


def _digests_of_found(
    ctx: Context, candidates: list[tuple[str, os.stat_result]]
) -> dict[str, tuple[str, int]]:
    """``digest_files`` of files found a moment ago. Another process downloading into the
    same folder may remove one meanwhile (it saw the file as stale while it was being
    written): such a file is left out, and written like a missing one. Should files keep
    vanishing, none is compared: all are written (over whatever is there by then)."""
    for _attempt in range(COMPARE_ATTEMPTS):
        try:
            return digest_files(ctx.stat_cache, candidates)
        except PathNotFoundError:
            candidates = [(dest, st) for dest, st in candidates if os.path.exists(dest)]
    return {}


def _size_matches(entry: Entry, size: int) -> bool:
    """References to other artifacts record size 0; their target's size is not known here."""
    if entry.ref is not None and entry.ref.startswith(f"{ARTIFACT_SCHEME}://"):
        return True
    return size == entry.size


def _remove_stale(paths: Iterable[str]) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        except IsADirectoryError:
            raise IsADirectoryError(
                f"cannot download to {path}: a folder is in the way of that file; "
                "move it away or download into another root"
            ) from None


def _make_parents(root: str, dests: Iterable[str]) -> None:
    """Create the folders of ``dests`` (absolute, normalised paths under ``root``)."""
    for parent in sorted({dest.rpartition(os.sep)[0] for dest in dests} - {root}):
        try:
            os.mkdir(parent)  # its own parent came first (sorted): one call, no checks
        except OSError:
            os.makedirs(parent, exist_ok=True)  # exists already, or deeper: the full story


def fetch_replacing(ctx: Context, entry: Entry, dest: str, skip_cache: bool) -> None:
    """Write the entry's bytes to ``dest`` through a temporary name, replacing what is there."""
    temp = temp_beside(dest)
    try:
        fetch_entry(ctx, entry, temp, skip_cache)
        os.replace(temp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def fetch_entry(ctx: Context, entry: Entry, path: str, skip_cache: bool) -> None:
    """Write the entry's bytes to ``path`` (which must not exist): a stored blob, or a
    reference's source."""
    if entry.ref is not None:
        fetch_reference(ctx, entry, path, skip_cache)
    else:
        ctx.transfer.place_blobs([entry], {entry.path: path}, _ignore, skip_cache=skip_cache)


def _ignore(_n: int) -> None:
    pass


def remove_extra_files(root: str, keep: set[str]) -> int:
    """Delete files and symlinks under root that are not in ``keep`` (logical paths), and
    folders left empty; returns the count. Symlinked folders are not walked into: the link
    is removed, never what it points to."""
    if not os.path.isdir(root):
        return 0
    extra = [path for path, relative in _files_and_links(root) if relative not in keep]
    for path in extra:
        os.unlink(path)
    for directory, _dirs, _files in os.walk(root, topdown=False):  # does not follow links
        if directory != root and not os.listdir(directory):
            os.rmdir(directory)
    return len(extra)


def _files_and_links(root: str) -> Iterator[tuple[str, str]]:
    """``(path, relative POSIX path)`` of every file and symlink under ``root``, walking
    real folders only."""
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as found:
            for entry in found:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    yield entry.path, f"{prefix}{entry.name}"


def verify_root(ctx: Context, manifest: Manifest, root: str) -> None:
    """Raise IntegrityError (a ValueError) naming every difference between root and manifest."""
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise PathNotFoundError(f"cannot verify: {root} is not a directory")
    on_disk = {rel: (path, st) for path, rel, st in walk_files_with_stat(root)}
    problems: list[str] = []
    stored = [e for e in manifest if e.ref is None]
    refs = [e for e in manifest if e.ref is not None]
    wanted = {e.path for e in stored} | {e.path for e in refs}
    problems += [f"unexpected file {rel!r}" for rel in sorted(set(on_disk) - wanted)]
    present = [(on_disk[e.path][0], on_disk[e.path][1]) for e in stored if e.path in on_disk]
    digests = digest_files(ctx.stat_cache, present)
    for entry in stored:
        if entry.path not in on_disk:
            problems.append(f"missing file {entry.path!r}")
        elif digests[on_disk[entry.path][0]][0] != entry.digest:
            problems.append(f"content of {entry.path!r} differs from the logged version")
    if refs:
        report = check_references(ctx, refs)
        problems += [f"reference {e.path!r} ({e.ref}): {reason}" for e, reason in report.problems]
        if report.unverifiable:
            termwarn(
                f"skipped verification of {len(report.unverifiable)} refs that record no checksum "
                "(checksum=False or an unreadable scheme)"
            )
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise IntegrityError(f"verification of {root} failed: {shown}{more}")
