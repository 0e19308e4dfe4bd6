"""Blob transfers the server plans: straight to and from its object store when it can
presign URLs, else through the server (``archivist.client.transfer.api_uploads``).

Uploads: one ``POST /blobs/upload-plan`` per chunk of files answers a target per
digest (``archivist.core.transfers``). ``put`` and ``multipart`` targets are sent
with ``archivist.client.transfer.presigned`` on a client that never carries the API
key, then ``POST /blobs/upload-complete`` has the server verify each blob's BLAKE3
before it is stored. An open multipart upload is written to the upload journal
first, so a process killed midway resumes it on the next attempt. A transfer
that fails (e.g. a URL that expired) is planned and sent once more.

A server that carries the bytes itself answers ``stream`` targets for large blobs when
asked (``listener_sender``: one plain PUT each to its blob listener); a
blob the listener cannot take goes through the API instead.

Downloads: ``POST /blobs/download-plan`` answers presigned GETs, each streamed
and BLAKE3-checked. A server whose store cannot presign (a folder) answers
``via_server``; that is remembered, so later downloads skip the plan.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from archivist.client.http_session import ApiSession, store_client
from archivist.client.transfer import listener_sender, presigned
from archivist.client.transfer.api_uploads import TRANSFER_THREADS, Upload
from archivist.client.transfer.multipart_journal import UploadJournal
from archivist.client.transfer.progress_once import ProgressOnce
from archivist.core.errors import CommError, FileChangedError, IntegrityError
from archivist.core.progress import Progress
from archivist.core.transfer_json import (
    download_target_from_json,
    upload_completion_to_json,
    upload_request_to_json,
    upload_target_from_json,
)
from archivist.core.transfers import (
    STREAM_MIN_BYTES,
    DownloadTarget,
    ResumeToken,
    TransferMode,
    UploadCompletion,
    UploadRequest,
    UploadTarget,
)

_log = logging.getLogger(__name__)
Item = TypeVar("Item")
PLAN_CHUNK = 10_000
COMPLETE_CHUNK = 500
"""Completions per request: the server hashes each blob, so a request stays well under proxy timeouts."""
DOWNLOAD_WORKERS = 16
DIRECT_MODES = (TransferMode.PUT, TransferMode.MULTIPART)
TRANSFER_ATTEMPTS = 2
"""A failed direct transfer is planned again once: its URLs may have expired."""


class DirectTransfers:
    """Planned blob transfers for one ``HttpBackend`` (see the module docstring)."""

    def __init__(self, session: ApiSession, journal_dir: str | None = None) -> None:
        self.session = session
        self.journal = UploadJournal(journal_dir) if journal_dir else None
        self._client: httpx.Client | None = None
        self.via_server: bool | None = None
        """Whether the server carries blob bytes itself (a folder store); None until a plan said."""
        self.streaming = urlsplit(session.base_url).scheme == "http"
        """Whether to ask for ``stream`` targets: only where the API itself is plain HTTP (the
        listener speaks no TLS), and until the listener proved unreachable."""

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = store_client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # --- uploads ----------------------------------------------------------------------------
    def upload(self, uploads: Sequence[Upload], progress: ProgressOnce) -> list[Upload]:
        """Send what the server lacks straight to its store; return the uploads the server
        wants through itself (``via_server``)."""
        via_server: list[Upload] = []
        for start in range(0, len(uploads), PLAN_CHUNK):
            via_server += self._upload_chunk(uploads[start : start + PLAN_CHUNK], progress)
        return via_server

    def _upload_chunk(self, uploads: Sequence[Upload], progress: ProgressOnce) -> list[Upload]:
        by_digest = {upload.digest: upload for upload in reversed(uploads)}  # the first one wins
        for attempt in range(TRANSFER_ATTEMPTS):
            targets = self.plan_uploads(list(by_digest.values()))
            direct = [(t, _source(by_digest[t.digest], t)) for t in targets if t.mode in DIRECT_MODES]
            try:
                completions = presigned.upload_all(
                    direct, client=self.client, progress=progress, journal=self.journal
                )
            except CommError:
                if attempt + 1 == TRANSFER_ATTEMPTS:
                    raise
                continue
            self.complete(completions, by_digest)
            break
        streamed = [
            (target, by_digest[target.digest]) for target in targets if target.mode is TransferMode.STREAM
        ]
        via = {target.digest for target in targets if target.mode is TransferMode.VIA_SERVER}
        via |= self._stream(streamed, progress)
        return [upload for upload in uploads if upload.digest in via]

    def stream(self, uploads: Sequence[Upload], progress: ProgressOnce) -> list[Upload]:
        """For a server that carries the bytes: send the large blobs to its blob listener;
        return the uploads to send through the API (report their bytes to ``progress``
        too: what a broken-off stream reported already is not counted twice)."""
        large = [upload for upload in uploads if upload.size >= STREAM_MIN_BYTES] if self.streaming else []
        if not large:
            return list(uploads)
        rest = [upload for upload in uploads if upload.size < STREAM_MIN_BYTES]
        return rest + self.upload(large, progress)

    def _stream(self, streamed: Sequence[tuple[UploadTarget, Upload]], progress: ProgressOnce) -> set[str]:
        """Send each to the blob listener, a few at once; the digests that must go through
        the API instead (the listener was unreachable or refused them). The bytes a stream
        reported before it broke off are told to ``progress`` as sent again."""
        fell_back: set[str] = set()

        def send(item: tuple[UploadTarget, Upload]) -> None:
            target, upload = item
            if not self.streaming:
                fell_back.add(upload.digest)
                return
            sent = 0

            def report(count: int) -> None:
                nonlocal sent
                sent += count
                progress(count)

            try:
                listener_sender.send(target, upload, report)
            except listener_sender.StreamFailed as failure:
                _log.info("sending blob %s through the API instead: %s", upload.digest[:12], failure)
                progress.sending_again(sent)
                fell_back.add(upload.digest)
                if failure.unreachable:
                    self.streaming = False

        _run_all(send, list(streamed), workers=TRANSFER_THREADS)
        return fell_back

    def plan_uploads(self, uploads: Sequence[Upload]) -> list[UploadTarget]:
        requests = [UploadRequest(u.digest, u.size, self._resume_token(u.digest)) for u in uploads]
        payload = {
            "blobs": [upload_request_to_json(request) for request in requests],
            "stream": self.streaming,
        }
        answer = self.session.call("/blobs/upload-plan", payload, idempotent=True)
        targets = [upload_target_from_json(item) for item in answer["targets"]]
        modes = {target.mode for target in targets}
        carried = modes & {TransferMode.VIA_SERVER, TransferMode.STREAM}
        if carried or modes & set(DIRECT_MODES):
            self.via_server = bool(carried)
        return targets

    def _resume_token(self, digest: str) -> ResumeToken | None:
        return self.journal.resume_token(digest) if self.journal is not None else None

    def complete(self, completions: Sequence[UploadCompletion], by_digest: Mapping[str, Upload]) -> None:
        """Have the server verify and store the uploaded blobs. A multipart upload whose
        bytes do not match is a file that changed while it was sent: FileChangedError."""
        try:
            for start in range(0, len(completions), COMPLETE_CHUNK):
                chunk = completions[start : start + COMPLETE_CHUNK]
                payload = {"completions": [upload_completion_to_json(item) for item in chunk]}
                self.session.call("/blobs/upload-complete", payload, idempotent=True)
        except IntegrityError as error:
            changed = [
                by_digest[c.digest].path
                for c in completions
                if c.multipart_id is not None and c.digest in error.message
            ]
            if changed:
                raise FileChangedError(
                    f"{', '.join(changed)} changed while being uploaded: the bytes sent no longer "
                    f"hash to the digest computed before; nothing was stored ({error.message})"
                ) from None
            raise
        finally:
            if self.journal is not None:
                for completion in completions:
                    if completion.multipart_id is not None:
                        self.journal.forget(completion.digest)

    def upload_bytes(self, digest: str, data: bytes) -> bool:
        """Send ``data`` straight to the store; False when the server takes it itself."""
        if self.via_server:
            return False
        with tempfile.TemporaryDirectory(prefix="archivist-bytes-") as folder:
            path = os.path.join(folder, "blob")
            with open(path, "wb") as out:
                out.write(data)
            return not self.upload([Upload(digest, path, len(data))], ProgressOnce(None))

    # --- downloads --------------------------------------------------------------------------
    def download_targets(self, digests: Sequence[str]) -> dict[str, DownloadTarget] | None:
        """A presigned GET per digest, or None when the server carries the bytes itself."""
        if self.via_server:
            return None
        targets: dict[str, DownloadTarget] = {}
        for start in range(0, len(digests), PLAN_CHUNK):
            payload = {"digests": list(digests[start : start + PLAN_CHUNK])}
            answer = self.session.call("/blobs/download-plan", payload, idempotent=True)
            for item in answer["targets"]:
                target = download_target_from_json(item)
                targets[target.digest] = target
        if targets:
            self.via_server = any(t.mode is not TransferMode.GET for t in targets.values())
        return None if self.via_server else targets

    def download(self, destinations: Mapping[str, Sequence[str]], progress: Progress | None) -> bool:
        """Fetch each blob (digest -> destination paths) straight from the store; False
        (nothing done) when the server carries the bytes itself."""
        targets = self.download_targets(list(destinations))
        if targets is None:
            return False

        def fetch(digest: str) -> None:
            paths = destinations[digest]
            presigned.download(targets[digest], paths[0], client=self.client, progress=progress)
            for extra in paths[1:]:
                shutil.copyfile(paths[0], extra)

        _run_all(fetch, list(destinations))
        return True

    def read_bytes(self, digest: str) -> bytes | None:
        """The blob's bytes straight from the store; None when the server carries them."""
        with tempfile.TemporaryDirectory(prefix="archivist-bytes-") as folder:
            path = os.path.join(folder, "blob")
            if not self.download({digest: [path]}, None):
                return None
            with open(path, "rb") as source:
                return source.read()


def _run_all(work: Callable[[Item], None], items: list[Item], workers: int = DOWNLOAD_WORKERS) -> None:
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="archivist-transfer") as pool:
        for _ in pool.map(work, items):
            pass


def _source(upload: Upload, target: UploadTarget) -> str | bytes:
    """What to send: bytes held in memory for a single PUT, else the file."""
    if upload.data is not None and target.mode is TransferMode.PUT:
        return upload.data
    return upload.path
