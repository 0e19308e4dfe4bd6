"""Logging a draft in the background: send the blobs the store lacks, store the
manifest, then commit. Saves of the same collection in one process run one
after another so version numbers follow call order; different collections
save in parallel."""

from __future__ import annotations

import atexit
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

from archivist.core.backend import Backend
from archivist.core.blob_transfer import BlobSink, BlobTransfer
from archivist.core.errors import BlobNotFoundError, FileChangedError, LogCancelledError
from archivist.core.manifest import Manifest
from archivist.core.models import CommitRequest, CommitResult, VersionQuery, VersionRecord
from archivist.core.progress import Progress
from archivist.core.sizes import format_size
from archivist.sdk.manifest_io import store_manifest
from archivist.sdk.termlog import transfer_progress

_MAX_PARALLEL_SAVES = 4

logger = logging.getLogger(__name__)


class SaveControl:
    """Lets the thread that logged a draft cancel its background save until the commit
    begins; from then on the save runs to its end (a cancel cannot undo a commit)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._cancelled = False
        self._committing = False

    def cancel(self) -> bool:
        """True when the save will commit nothing; False when its commit had already begun."""
        with self._lock:
            if not self._committing:
                self._cancelled = True
            return self._cancelled

    def check(self) -> None:
        """Raise ``LogCancelledError`` once cancelled (called between the steps of a save)."""
        if self._cancelled:
            raise LogCancelledError(f"logging {self._name!r} was cancelled; nothing was committed")

    def begin_commit(self) -> None:
        """The last moment a cancel wins: after this call the save commits."""
        with self._lock:
            self.check()
            self._committing = True

    def watching(self, progress: Progress) -> Progress:
        """``progress`` that stops a transfer at its next report once cancelled."""

        def report(count: int) -> None:
            self.check()
            progress(count)

        return report


class ArtifactSaver:
    """A process-wide pool of background saves, serial per collection name.

    One worker runs a collection's queue to its end, in call order. When the script ends
    (without ``finish()``, by an exception or ``sys.exit``) every queued save is finished
    before the interpreter stops its thread pools (see ``_before_thread_pools_stop``)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=_MAX_PARALLEL_SAVES, thread_name_prefix="archivist-save")
        self._queues: dict[tuple[str, str, str], deque[Callable[[], None]]] = {}
        self._guard = threading.Lock()
        self._outstanding: set[Future[CommitResult]] = set()

    def submit(
        self,
        backend: Backend,
        transfer: BlobTransfer,
        manifest: Manifest,
        local_paths: Mapping[str, str],
        request: CommitRequest,
        held: Mapping[str, bytes] | None = None,
        sinks: Sequence[BlobSink] = (),
        control: SaveControl | None = None,
    ) -> Future[CommitResult]:
        key = (request.entity, request.project, request.name)
        future: Future[CommitResult] = Future()
        control = control or SaveControl(request.name)

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = save_manifest(
                    backend, transfer, manifest, local_paths, request, held, sinks, control
                )
                future.set_result(result)
            except BaseException as exc:
                future.set_exception(exc)

        with self._guard:
            self._outstanding.add(future)
            queue = self._queues.setdefault(key, deque())
            queue.append(job)
            first = len(queue) == 1
        future.add_done_callback(self._forget)
        if first:
            self._pool.submit(self._run_queue, key)
        return future

    def _forget(self, future: Future[CommitResult]) -> None:
        with self._guard:
            self._outstanding.discard(future)

    def _run_queue(self, key: tuple[str, str, str]) -> None:
        """Run the collection's saves in call order until its queue is empty."""
        while True:
            with self._guard:
                job = self._queues[key][0]
            job()
            with self._guard:
                queue = self._queues[key]
                queue.popleft()
                if not queue:
                    del self._queues[key]
                    return

    def shutdown(self) -> None:
        """Finish every queued save, then stop the workers."""
        with self._guard:
            pending = list(self._outstanding)
        wait(pending)
        self._pool.shutdown(wait=True)


def save_manifest(
    backend: Backend,
    transfer: BlobTransfer,
    manifest: Manifest,
    local_paths: Mapping[str, str],
    request: CommitRequest,
    held: Mapping[str, bytes] | None = None,
    sinks: Sequence[BlobSink] = (),
    control: SaveControl | None = None,
) -> CommitResult:
    """Upload what is missing, store the manifest, commit. Runs in a worker thread.

    ``held``: bytes of small files the draft already read and hashed (by digest).
    ``sinks``: still storing bytes of the draft's files; waited for before the upload (what
    one failed to store is uploaded from the files, as if it had never been given to it).
    ``control``: may cancel the save until its commit begins.
    """
    control = control or SaveControl(request.name)
    control.check()
    identical = _identical_version(backend, request)
    # Unchanged content: the commit dedups, and only blobs the store lost (``archivist fsck
    # --repair`` removes damaged ones) are stored again below.
    if identical is not None:
        manifest_digest = identical.manifest_digest
    else:
        # (stored while the sinks sync their packs)
        manifest_digest = store_manifest(transfer, manifest, request.digest)
    stored = _wait_for(sinks)
    control.check()
    sources: dict[str, str] = {}
    for path, local in local_paths.items():
        entry = manifest.get(path)
        if entry is not None and entry.ref is None:
            sources.setdefault(entry.digest, local)
    missing = transfer.blobs_to_send(manifest.blob_digests(), sources.keys(), stored)
    unavailable = [d for d in missing if d not in sources]
    if unavailable:
        paths = [e.path for e in manifest if e.digest in set(unavailable)][:3]
        raise BlobNotFoundError(
            f"cannot log {request.name!r}: the store lacks the content of {', '.join(paths)} "
            "and no local file provides it"
        )
    uploads = [(digest, sources[digest]) for digest in missing]
    sizes = {e.digest: e.size for e in manifest if e.ref is None} if missing else {}
    total = sum(sizes[d] for d in missing)
    with transfer_progress(f"Storing {request.name} ({format_size(total)})", total) as advance:
        try:
            transfer.upload_files(uploads, control.watching(advance), held=held)
        except FileChangedError as error:
            raise FileChangedError(
                f"cannot log {request.name!r}: {error}. A file added with policy='immutable' must "
                "not change until it is logged; add it with policy='mutable' (the default) to log "
                "its bytes as they were when added"
            ) from error
    control.begin_commit()
    final = CommitRequest(**{**request.__dict__, "manifest_digest": manifest_digest})
    for _attempt in range(COMMIT_ATTEMPTS - 1):
        try:
            return backend.commit_version(final)
        except BlobNotFoundError:
            # The collector deleted a blob the store held when it was checked above (nothing
            # referenced it then: the content of a purged version): store what is gone again.
            store_manifest(transfer, manifest, request.digest)
            gone = transfer.blobs_to_send(manifest.blob_digests(), sources.keys(), set())
            if any(digest not in sources for digest in gone):
                raise
            transfer.upload_files([(digest, sources[digest]) for digest in gone], None, held=held)
    return backend.commit_version(final)


COMMIT_ATTEMPTS = 3
"""A commit refused because the collector took a blob it named is retried after storing it again."""


def _wait_for(sinks: Sequence[BlobSink]) -> set[str]:
    """Wait for the sinks; the digests they made sure the store holds."""
    stored: set[str] = set()
    for sink in sinks:
        try:
            stored |= sink.wait()
        except Exception as error:  # the upload stores what is missing
            logger.debug("storing files while they were added failed (%s); uploading them instead", error)
    return stored


def _identical_version(backend: Backend, request: CommitRequest) -> VersionRecord | None:
    """A committed version of the collection with the same content, if one exists."""
    query = VersionQuery(request.entity, request.project, request.name, digest=request.digest, limit=1)
    found = backend.list_versions(query)
    return found[0] if found else None


_saver: ArtifactSaver | None = None
_saver_guard = threading.Lock()


def get_saver() -> ArtifactSaver:
    global _saver
    with _saver_guard:
        if _saver is None:
            _saver = ArtifactSaver()
            _before_thread_pools_stop(_saver.shutdown)
        return _saver


def _before_thread_pools_stop(finish_saves: Callable[[], None]) -> None:
    """Have the interpreter's exit run ``finish_saves`` while thread pools still take work.

    When the main module ends, Python first stops every ``ThreadPoolExecutor`` from taking
    new work (saves need pools of their own for their transfers) and only then runs the
    ``atexit`` hooks. ``threading._register_atexit`` hooks run before that stop, the last
    registered first, and so before the one ``concurrent.futures`` registered at import.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is None:  # not CPython 3.9+: the pools stop first, saves needing one fail
        atexit.register(finish_saves)
        return
    register(finish_saves)
