"""HttpBackend: the Backend protocol spoken to an Archivist server.

Each metadata call is one JSON request to the route its declaration names under /api/v1,
its method derived from that declaration (``archivist.client.remote_calls``). Blob
transfers are planned by the server (``archivist.client.http_direct``): bytes go straight
to and from its object store through presigned URLs, or -- with a folder store -- through the server
(``archivist.client.http_transfers`` and ``http_downloads``: batched, streamed,
several at once). Which of the two a server does is learnt from a download plan of
one blob and remembered, so a folder store's blobs are never planned one by one.
Blobs are never on this machine (``blobs_are_local`` is False, ``local_blob_path`` is
None), so the SDK verifies downloaded bytes and serves downloads through its client cache;
``download_blobs(link=True)`` links nothing here (the SDK links from that cache).
Beyond the protocol, ``fetch_blobs`` and ``download_to`` let the SDK write each
downloaded byte once and verify it without reading it back (``archivist.sdk.prefetch``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from archivist.client import http_downloads, http_transfers
from archivist.client.backend import BlobSink, ProgressCallback
from archivist.client.http_direct import DirectTransfers
from archivist.client.http_session import ApiSession
from archivist.client.http_transfers import Upload
from archivist.client.progress_once import ProgressOnce
from archivist.client.remote_calls import install_remote_calls
from archivist.core.accounts import Identity
from archivist.core.api import BACKEND_CALLS
from archivist.core.digest_checks import validate_digest, validate_digests
from archivist.core.errors import BlobNotFoundError, InvalidInputError
from archivist.core.manifest import ManifestSummary
from archivist.core.record_json import from_dict


class HttpBackend:
    """The Backend protocol over HTTP (see the module docstring)."""

    blobs_are_local = False

    def __init__(
        self, base_url: str, api_key: str | None, journal_dir: str | None = None, **session_options: Any
    ) -> None:
        """``journal_dir``: where open multipart uploads are remembered, to resume them."""
        self.session = ApiSession(base_url, api_key, **session_options)
        self.transfers = DirectTransfers(self.session, journal_dir)
        self._identity: Identity | None = None

    def __repr__(self) -> str:
        return f"HttpBackend({self.session.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.session.base_url

    def _call(self, path: str, payload: object = None, *, idempotent: bool = True) -> Any:
        return self.session.call(path, payload, idempotent=idempotent)

    # --- identity -------------------------------------------------------------------------
    def identity(self) -> Identity:
        """Who the API key belongs to (asked once per backend)."""
        if self._identity is None:
            answer = self.session.call("/identity", method="GET", idempotent=True)
            self._identity = from_dict(Identity, answer)
        return self._identity

    def default_entity(self) -> str:
        return self.identity().default_entity

    # The metadata calls (runs, versions, collections, lineage) are derived from their
    # declarations in ``archivist.core.backend`` by ``install_remote_calls`` below.

    # --- blobs ----------------------------------------------------------------------------
    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        asked = validate_digests(digests)  # refused here with the embedded store's message
        return list(self._call("/blobs/missing", {"digests": asked})["missing"])

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: ProgressCallback | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        uploads = [_upload(item, held or {}) for item in files]
        report = ProgressOnce(progress)
        if self._server_carries([upload.digest for upload in uploads[:1]]):
            via_server = self.transfers.stream(uploads, report)  # large blobs to its listener
        else:
            via_server = self.transfers.upload(uploads, report)
        if via_server:
            http_transfers.upload_batches(self.session, via_server, report)

    def ingest_file(self, path: str) -> tuple[str, int] | None:
        return None  # hashed first, then uploaded (only what the server lacks) when logged

    def open_blob_sink(self) -> BlobSink | None:
        return None  # the draft keeps small files' bytes for the upload instead

    def note_manifest(self, manifest_digest: str, summary: ManifestSummary) -> None:
        return None  # the server reads the manifest it received: a client's word is not proof

    def upload_bytes(self, digest: str, data: bytes) -> None:
        validate_digest(digest)
        if not self._server_carries([digest]) and self.transfers.upload_bytes(digest, data):
            return  # (asked first: a folder-store server is never sent an upload plan)

        def attempt() -> None:
            response = self.session.client.put(
                f"/blobs/{digest}", content=data, headers={"Content-Type": "application/octet-stream"}
            )
            self.session.raise_for_error(response)

        self.session.with_retries(attempt, idempotent=True)

    def download_blob(self, digest: str, dest_path: str, progress: ProgressCallback | None = None) -> None:
        validate_digest(digest)
        if not self.transfers.download({digest: [dest_path]}, progress):
            http_downloads.download_one(self.session, digest, dest_path, progress)

    def download_blobs(
        self,
        items: Sequence[tuple[str, str]],
        progress: ProgressCallback | None = None,
        link: bool = False,
    ) -> None:
        """``link`` is ignored: the bytes come over the network, there is no local blob to link to."""
        destinations: dict[str, list[str]] = {}
        for digest, path in items:
            destinations.setdefault(validate_digest(digest), []).append(path)
        if self._server_carries(list(destinations)) or not self.transfers.download(destinations, progress):
            http_downloads.download_many(self.session, destinations, progress)

    def fetch_blobs(self, digests: Sequence[str], receive: Callable[[str, bytes], None]) -> None:
        """Hand each blob's bytes to ``receive(digest, data)``, whole and in any order, from a
        few threads at once. The bytes are not verified here: ``receive`` checks them. Meant
        for small blobs (each is held in memory)."""
        wanted = list(dict.fromkeys(validate_digests(digests)))
        if not wanted:
            return
        if self._server_carries(wanted):
            http_downloads.fetch_many(self.session, wanted, receive)
            return
        with tempfile.TemporaryDirectory(prefix="archivist-fetch-") as folder:
            paths = {digest: [os.path.join(folder, digest)] for digest in wanted}
            if not self.transfers.download(paths, None):  # presigned GETs, each verified
                http_downloads.fetch_many(self.session, wanted, receive)
                return
            for digest, (path,) in paths.items():
                with open(path, "rb") as source:
                    data = source.read()
                os.unlink(path)
                receive(digest, data)

    def download_to(self, digest: str, paths: Sequence[str], progress: ProgressCallback | None = None) -> str:
        """Write the blob to each of ``paths``, new files (``FileExistsError`` if one exists;
        its folder must exist), hashing it as it arrives; returns the BLAKE3 of the bytes
        written for the caller to compare. On failure the files are removed again."""
        validate_digest(digest)
        if not paths:
            raise InvalidInputError(f"download_to of blob {digest} needs at least one destination path")
        if self._server_carries([digest]):
            return http_downloads.download_to(self.session, digest, paths, progress)
        first, *others = paths
        try:
            for path in paths:  # claim every name first, as the server path does
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            if self.transfers.download({digest: [first]}, progress):  # verified as it arrives
                for path in others:
                    shutil.copyfile(first, path)
                return digest
        except BaseException:
            _remove(paths)
            raise
        _remove(paths)  # the server stopped presigning meanwhile: it carries the bytes
        return http_downloads.download_to(self.session, digest, paths, progress)

    def _server_carries(self, digests: Sequence[str]) -> bool:
        """Whether the server carries blob bytes itself (a folder store), asked once per
        backend with a download plan for one blob (which has no side effects). A plan for a
        blob the user may not read yet (one about to be uploaded) is refused and tells
        nothing: the upload plan then says."""
        if self.transfers.via_server is None and digests:
            with contextlib.suppress(BlobNotFoundError):
                self.transfers.download_targets(digests[:1])
        return bool(self.transfers.via_server)

    def read_bytes(self, digest: str) -> bytes:
        validate_digest(digest)
        direct = self.transfers.read_bytes(digest)
        if direct is not None:
            return direct

        def attempt() -> bytes:
            response = self.session.client.get(f"/blobs/{digest}")
            self.session.raise_for_error(response)
            return response.content

        return self.session.with_retries(attempt, idempotent=True)

    def local_blob_path(self, digest: str) -> str | None:
        validate_digest(digest)
        return None

    def close(self) -> None:
        self.transfers.close()
        self.session.close()


def _upload(item: object, held: Mapping[str, bytes]) -> Upload:
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise InvalidInputError(f"expected (digest, local_path) pairs, got {item!r}")
    digest, path = item
    validate_digest(digest)
    data = held.get(digest)
    if data is not None:  # sent from memory; the server verifies it like any upload
        return Upload(digest, str(path), len(data), data)
    return Upload(digest, str(path), http_transfers.file_size(str(path)))


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


install_remote_calls(HttpBackend, BACKEND_CALLS)
