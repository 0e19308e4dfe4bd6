"""``run.save(glob)``: files attached to a run (W&B's ``wandb.save``).

Each matched file is hashed, its bytes stored once as a blob (only the blobs
the store lacks are uploaded) and recorded under its path relative to the base
path. Globs saved with policy ``live`` or ``end`` are matched again when the
run finishes, so files that changed or appeared since are stored too.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Sequence

from archivist.core.backend import Backend
from archivist.core.blob_transfer import BlobTransfer
from archivist.core.errors import InvalidInputError
from archivist.core.models import RunFile, RunRef
from archivist.core.paths import validate_logical_path
from archivist.sdk.termlog import termwarn

POLICIES = ("live", "now", "end")


class RunFiles:
    def __init__(self, backend: Backend, transfer: BlobTransfer, ref: RunRef) -> None:
        self._backend = backend
        self._transfer = transfer
        self._ref = ref
        self._lock = threading.Lock()
        self._stored: dict[str, str] = {}  # run path -> digest last stored
        self._watched: list[tuple[str, str]] = []  # (absolute glob, absolute base) to re-check

    def save(self, glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
        """Store the files matching ``glob_str`` now; returns their paths in the run."""
        if policy not in POLICIES:
            raise InvalidInputError(f"invalid save policy {policy!r}: use one of {', '.join(POLICIES)}")
        pattern, base = resolve_glob(glob_str, base_path)
        files = match_files(pattern, base)
        if policy != "now":
            with self._lock:
                if (pattern, base) not in self._watched:
                    self._watched.append((pattern, base))
        if not files:
            termwarn(f"save({glob_str!r}) matched no files; nothing was saved")
            return []
        self._store(files, only_changed=False)
        return [run_path for _, run_path in files]

    def save_changed(self) -> list[str]:
        """Store files of live/end globs that are new or changed since they were saved."""
        with self._lock:
            watched = list(self._watched)
        files: dict[str, str] = {}
        for pattern, base in watched:
            files.update((run_path, local) for local, run_path in match_files(pattern, base))
        return self._store([(local, run_path) for run_path, local in files.items()], only_changed=True)

    def _store(self, files: Sequence[tuple[str, str]], only_changed: bool) -> list[str]:
        from archivist.client.transfer.hashing import hash_file

        records: list[tuple[str, RunFile]] = []
        for local, run_path in files:
            digest, size = hash_file(local)
            with self._lock:
                if only_changed and self._stored.get(run_path) == digest:
                    continue
            records.append((local, RunFile(path=run_path, digest=digest, size=size)))
        if not records:
            return []
        missing = set(self._transfer.missing_blobs(sorted({f.digest for _, f in records})))
        uploads = {f.digest: local for local, f in records if f.digest in missing}
        if uploads:
            self._transfer.upload_files(sorted(uploads.items()))
        self._backend.add_run_files(self._ref, [f for _, f in records])
        with self._lock:
            self._stored.update((f.path, f.digest) for _, f in records)
        return [f.path for _, f in records]


def resolve_glob(glob_str: object, base_path: str | None) -> tuple[str, str]:
    """The absolute glob and base path. Like W&B, the base defaults to the current
    directory for a relative glob and to the glob's directory for an absolute one."""
    if not isinstance(glob_str, (str, os.PathLike)) or not os.fspath(glob_str):
        raise InvalidInputError(f"save() takes a file path or glob, got {glob_str!r}")
    text = os.fspath(glob_str)
    pattern = os.path.abspath(text)
    if base_path is not None:
        base = os.path.abspath(base_path)
    elif os.path.isabs(text):
        base = os.path.dirname(pattern)
    else:
        base = os.getcwd()
    if pattern == base or os.path.commonpath([pattern, base]) != base:
        raise InvalidInputError(
            f"save({text!r}): the glob must name files inside base_path {base!r}; "
            "pass a base_path that contains them"
        )
    return pattern, base


def match_files(pattern: str, base: str) -> list[tuple[str, str]]:
    """(local path, path in the run) of each regular file the glob matches, sorted."""
    found = []
    for local in sorted(glob.glob(pattern, recursive=True)):
        if not os.path.isfile(local):
            continue
        run_path = os.path.relpath(local, base).replace(os.sep, "/")
        if run_path == ".." or run_path.startswith("../"):
            raise InvalidInputError(f"save(): {local!r} is outside base_path {base!r}")
        found.append((local, validate_logical_path(run_path)))
    return found
