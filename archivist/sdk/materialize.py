"""Putting a version's files on disk (download, checkout) and checking a folder
against a manifest (verify). Files already present with the right content are
left alone; every write goes to a temporary name first. Reference entries are
fetched from their source (``references.download``) and checked against it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

from archivist.core.errors import IntegrityError, PathNotFoundError
from archivist.core.manifest import Entry, Manifest, is_blob_digest
from archivist.core.sizes import format_size
from archivist.sdk.context import Context
from archivist.sdk.draft import digest_files
from archivist.sdk.prefetch import check_download, prefetch_blobs
from archivist.sdk.references.artifact import SCHEME as ARTIFACT_SCHEME
from archivist.sdk.references.checking import check_references
from archivist.sdk.references.download import fetch_reference
from archivist.sdk.termlog import termwarn, transfer_progress
from archivist.sdk.walk import walk_files_with_stat


def destination(root: str, logical_path: str) -> str:
    """The file for a logical path under root; refuses anything that would leave root."""
    dest = os.path.normpath(os.path.join(root, *logical_path.split("/")))
    if os.path.commonpath([root, dest]) != root:
        raise IntegrityError(f"manifest path {logical_path!r} would be written outside {root}")
    return dest


def _already_present(ctx: Context, entries: Sequence[Entry], dests: dict[str, str]) -> set[str]:
    """Logical paths whose destination file already holds the entry's content."""
    candidates: list[tuple[str, os.stat_result]] = []
    by_dest: dict[str, Entry] = {}
    for entry in entries:
        if not is_blob_digest(entry.digest):
            continue  # a reference recorded by ETag or URI: its bytes cannot be compared
        dest = dests[entry.path]
        try:
            st = os.stat(dest)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if _size_matches(entry, st.st_size):
            candidates.append((dest, st))
            by_dest[dest] = entry
    if not candidates:
        return set()
    digests = digest_files(ctx.stat_cache, candidates)
    return {by_dest[d].path for d, (digest, _s) in digests.items() if digest == by_dest[d].digest}


def _size_matches(entry: Entry, size: int) -> bool:
    """References to other artifacts record size 0; their target's size is not known here."""
    if entry.ref is not None and entry.ref.startswith(f"{ARTIFACT_SCHEME}://"):
        return True
    return size == entry.size


def download_entries(
    ctx: Context,
    entries: Sequence[Entry],
    root: str,
    skip_cache: bool,
    allow_missing_references: bool,
) -> None:
    root = os.path.abspath(root)
    os.makedirs(root, exist_ok=True)
    dests = {entry.path: destination(root, entry.path) for entry in entries}
    present = _already_present(ctx, entries, dests)
    todo = [e for e in entries if e.path not in present]
    total = sum(e.size for e in todo)
    made_dirs: set[str] = {root}
    with transfer_progress(f"Downloading {len(todo)} files ({format_size(total)})", total) as advance:
        batched = prefetch_blobs(ctx, todo, lambda e: dests[e.path], skip_cache, advance)
        for entry in todo:
            if entry.path in batched:
                continue
            dest = dests[entry.path]
            parent = os.path.dirname(dest)
            if parent not in made_dirs:
                os.makedirs(parent, exist_ok=True)
                made_dirs.add(parent)
            try:
                _fetch(ctx, entry, dest, skip_cache)
            except PathNotFoundError as exc:
                if not (allow_missing_references and entry.ref is not None):
                    raise
                termwarn(f"skipped missing reference {entry.path!r}: {exc}")
            advance(entry.size)


def _fetch(ctx: Context, entry: Entry, dest: str, skip_cache: bool) -> None:
    tmp = f"{dest}.archivist-tmp-{os.getpid()}"
    try:
        fetch_entry(ctx, entry, tmp, skip_cache)
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def fetch_entry(ctx: Context, entry: Entry, path: str, skip_cache: bool) -> None:
    """Write the entry's bytes to ``path``: a stored blob, or a reference's source."""
    if entry.ref is None:
        _fetch_blob(ctx, entry, path, skip_cache)
    else:
        fetch_reference(ctx, entry, path, skip_cache)


def _fetch_blob(ctx: Context, entry: Entry, tmp: str, skip_cache: bool) -> None:
    backend = ctx.backend
    local = backend.local_blob_path(entry.digest)
    if local is not None:  # the embedded store: its blobs are verified files already
        shutil.copyfile(local, tmp)
        return
    if not skip_cache and _fetch_cached(ctx, entry, tmp):
        return
    backend.download_blob(entry.digest, tmp)
    check_download(ctx, entry, tmp, skip_cache)


def _fetch_cached(ctx: Context, entry: Entry, tmp: str) -> bool:
    """Copy the blob from the client cache when it holds it."""
    cached = ctx.client_cache.get(entry.digest)
    if cached is None:
        return False
    try:
        shutil.copyfile(cached, tmp)
    except FileNotFoundError:  # evicted by another process meanwhile: a miss
        return False
    return True


def remove_extra_files(root: str, keep: set[str]) -> int:
    """Delete files under root that are not in ``keep`` (logical paths); returns the count."""
    removed = 0
    if not os.path.isdir(root):
        return 0
    for abs_path, relative, _st in list(walk_files_with_stat(root)):
        if relative not in keep:
            os.unlink(abs_path)
            removed += 1
    for directory, _dirs, _files in os.walk(root, topdown=False):
        if directory != root and not os.listdir(directory):
            os.rmdir(directory)
    return removed


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
