"""Logging a draft in the background: send the blobs the store lacks, store the
manifest, then commit. Saves of the same collection in one process run one
after another so version numbers follow call order; different collections
save in parallel."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

from archivist.client.backend import Backend, BlobSink
from archivist.core.errors import BlobNotFoundError
from archivist.core.gc_pause import paused_gc
from archivist.core.manifest import Manifest, ManifestSummary
from archivist.core.models import CommitRequest, CommitResult, VersionQuery, VersionRecord
from archivist.core.sizes import format_size
from archivist.sdk.manifest_io import store_manifest
from archivist.sdk.termlog import transfer_progress

_MAX_PARALLEL_SAVES = 4

logger = logging.getLogger(__name__)


class ArtifactSaver:
    """A process-wide pool of background saves, serial per collection name."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=_MAX_PARALLEL_SAVES, thread_name_prefix="archivist-save")
        self._queues: dict[tuple[str, str, str], deque[Callable[[], None]]] = {}
        self._guard = threading.Lock()
        self._outstanding: set[Future[CommitResult]] = set()

    def submit(
        self,
        backend: Backend,
        manifest: Manifest,
        local_paths: Mapping[str, str],
        request: CommitRequest,
        held: Mapping[str, bytes] | None = None,
        sinks: Sequence[BlobSink] = (),
    ) -> Future[CommitResult]:
        key = (request.entity, request.project, request.name)
        future: Future[CommitResult] = Future()

        def job() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        # An embedded save is short, disk-bound bulk work: no collector passes over
                        # its objects (a save to a server may take minutes: the collector stays on).
                        with paused_gc() if backend.blobs_are_local else contextlib.nullcontext():
                            result = save_manifest(backend, manifest, local_paths, request, held, sinks)
                        future.set_result(result)
                    except BaseException as exc:
                        future.set_exception(exc)
            finally:
                self._start_next(key)

        with self._guard:
            self._outstanding.add(future)
            queue = self._queues.setdefault(key, deque())
            queue.append(job)
            first = len(queue) == 1
        future.add_done_callback(self._forget)
        if first:
            self._pool.submit(job)
        return future

    def _forget(self, future: Future[CommitResult]) -> None:
        with self._guard:
            self._outstanding.discard(future)

    def _start_next(self, key: tuple[str, str, str]) -> None:
        with self._guard:
            queue = self._queues[key]
            queue.popleft()
            following = queue[0] if queue else None
            if following is None:
                del self._queues[key]
        if following is not None:
            self._pool.submit(following)

    def shutdown(self) -> None:
        """Finish every queued save (at interpreter exit), then stop the workers."""
        with self._guard:
            pending = list(self._outstanding)
        wait(pending)
        self._pool.shutdown(wait=True)


def save_manifest(
    backend: Backend,
    manifest: Manifest,
    local_paths: Mapping[str, str],
    request: CommitRequest,
    held: Mapping[str, bytes] | None = None,
    sinks: Sequence[BlobSink] = (),
) -> CommitResult:
    """Upload what is missing, store the manifest, commit. Runs in a worker thread.

    ``held``: bytes of small files the draft already read and hashed (by digest).
    ``sinks``: still storing bytes of the draft's files; waited for before the upload (what
    one failed to store is uploaded from the files, as if it had never been given to it).
    """
    identical = _identical_version(backend, request)
    # Unchanged content: the commit dedups, and only blobs the store lost (``archivist fsck
    # --repair`` removes damaged ones) are stored again below.
    if identical is not None:
        manifest_digest = identical.manifest_digest
    else:
        manifest_digest = store_manifest(backend, manifest)  # while the sinks sync their packs
    stored = _wait_for(sinks)
    sources: dict[str, str] = {}
    for path, local in local_paths.items():
        entry = manifest.get(path)
        if entry is not None and entry.ref is None:
            sources.setdefault(entry.digest, local)
    wanted = manifest.blob_digests()
    if backend.blobs_are_local:
        # The store skips what it holds as it stores: ask only about blobs with no local file,
        # and store from files only what the sinks did not make sure of.
        unsure = [digest for digest in sources if digest not in stored]
        missing = [*backend.missing_blobs(sorted(wanted.difference(sources))), *unsure]
    else:
        missing = backend.missing_blobs(sorted(wanted))
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
    verb = "Storing" if backend.blobs_are_local else "Uploading"
    with transfer_progress(f"{verb} {request.name} ({format_size(total)})", total) as advance:
        backend.upload_files(uploads, advance, held=held)
    backend.note_manifest(manifest_digest, ManifestSummary.of(manifest, request.digest))
    return backend.commit_version(CommitRequest(**{**request.__dict__, "manifest_digest": manifest_digest}))


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
            atexit.register(_saver.shutdown)
        return _saver
