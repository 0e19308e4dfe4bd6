"""HttpBackend: the Backend protocol spoken to an Archivist server.

Each call is one JSON request to the route of the same name under /api/v1;
records travel in their ``to_dict`` form and are rebuilt with
``archivist.core.wire.from_dict``. Blob transfers are planned by the server
(``archivist.client.http_direct``): bytes go straight to and from its object
store through presigned URLs, or -- with a folder store -- through the server
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
from archivist.core.accounts import Identity
from archivist.core.errors import BlobNotFoundError, InvalidInputError
from archivist.core.ids import parse_version_id, split_run_path
from archivist.core.manifest import ManifestSummary
from archivist.core.models import (
    CollectionRecord,
    CollectionUpdate,
    CommitRequest,
    CommitResult,
    Direction,
    LineageGraph,
    RunFile,
    RunRecord,
    RunRef,
    RunSpec,
    RunUpdate,
    VersionQuery,
    VersionRecord,
    VersionUpdate,
    to_dict,
)
from archivist.core.wire import from_dict, update_to_dict
from archivist.service.validation import validate_digest, validate_digests


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

    # --- runs -----------------------------------------------------------------------------
    def upsert_run(self, spec: RunSpec) -> RunRecord:
        return from_dict(RunRecord, self._call("/runs/upsert", to_dict(spec)))

    def update_run(self, ref: RunRef, update: RunUpdate) -> RunRecord:
        payload = {"ref": to_dict(ref), "update": update_to_dict(update)}
        return from_dict(RunRecord, self._call("/runs/update", payload))

    def get_run(self, ref: RunRef) -> RunRecord:
        return from_dict(RunRecord, self._call("/runs/get", {"ref": to_dict(ref)}))

    def list_runs(self, entity: str, project: str) -> list[RunRecord]:
        answer = self._call("/runs/list", {"entity": entity, "project": project})
        return [from_dict(RunRecord, item) for item in answer]

    def append_history(self, ref: RunRef, rows: Sequence[Mapping[str, Any]]) -> None:
        self._call("/runs/history/append", {"ref": to_dict(ref), "rows": [dict(row) for row in rows]})

    def read_history(
        self, ref: RunRef, min_step: int = 0, max_step: int | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        payload = {"ref": to_dict(ref), "min_step": min_step, "max_step": max_step, "limit": limit}
        return list(self._call("/runs/history/read", payload))

    def add_run_files(self, ref: RunRef, files: Sequence[RunFile]) -> None:
        for item in files:
            if not isinstance(item, RunFile):
                raise InvalidInputError(f"expected RunFile items, got {type(item).__name__}: {item!r}")
        self._call("/runs/files/add", {"ref": to_dict(ref), "files": [to_dict(item) for item in files]})

    def list_run_files(self, ref: RunRef) -> list[RunFile]:
        return [from_dict(RunFile, item) for item in self._call("/runs/files/list", {"ref": to_dict(ref)})]

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

    # --- versions -------------------------------------------------------------------------
    def commit_version(self, request: CommitRequest) -> CommitResult:
        answer = self._call("/versions/commit", to_dict(request), idempotent=False)
        return from_dict(CommitResult, answer)

    def resolve_version(self, entity: str, project: str, collection: str, selector: str) -> VersionRecord:
        payload = {"entity": entity, "project": project, "collection": collection, "selector": selector}
        return from_dict(VersionRecord, self._call("/versions/resolve", payload))

    def get_version(self, version_id: str) -> VersionRecord:
        return from_dict(VersionRecord, self._call("/versions/get", {"version_id": _checked(version_id)}))

    def list_versions(self, query: VersionQuery) -> list[VersionRecord]:
        return [from_dict(VersionRecord, item) for item in self._call("/versions/list", to_dict(query))]

    def update_version(self, version_id: str, update: VersionUpdate) -> VersionRecord:
        payload = {"version_id": _checked(version_id), "update": update_to_dict(update)}
        return from_dict(VersionRecord, self._call("/versions/update", payload))

    def delete_version(self, version_id: str, delete_aliases: bool = False) -> None:
        payload = {"version_id": _checked(version_id), "delete_aliases": delete_aliases}
        self._call("/versions/delete", payload, idempotent=False)

    # --- collections and types ------------------------------------------------------------
    def list_projects(self, entity: str) -> list[str]:
        return list(self._call("/projects/list", {"entity": entity}))

    def list_types(self, entity: str, project: str) -> list[str]:
        return list(self._call("/types/list", {"entity": entity, "project": project}))

    def list_collections(
        self, entity: str, project: str, type_name: str | None = None
    ) -> list[CollectionRecord]:
        payload = {"entity": entity, "project": project, "type_name": type_name}
        return [from_dict(CollectionRecord, item) for item in self._call("/collections/list", payload)]

    def get_collection(self, entity: str, project: str, name: str) -> CollectionRecord:
        payload = {"entity": entity, "project": project, "name": name}
        return from_dict(CollectionRecord, self._call("/collections/get", payload))

    def update_collection(
        self, entity: str, project: str, name: str, update: CollectionUpdate
    ) -> CollectionRecord:
        payload = {"entity": entity, "project": project, "name": name, "update": update_to_dict(update)}
        return from_dict(CollectionRecord, self._call("/collections/update", payload, idempotent=False))

    def delete_collection(self, entity: str, project: str, name: str) -> None:
        payload = {"entity": entity, "project": project, "name": name}
        self._call("/collections/delete", payload, idempotent=False)

    # --- lineage --------------------------------------------------------------------------
    def record_use(self, ref: RunRef, version_id: str) -> None:
        self._call("/lineage/record-use", {"ref": to_dict(ref), "version_id": _checked(version_id)})

    def version_producer(self, version_id: str) -> RunRecord | None:
        answer = self._call("/lineage/producer", {"version_id": _checked(version_id)})
        return None if answer is None else from_dict(RunRecord, answer)

    def version_consumers(self, version_id: str) -> list[RunRecord]:
        return [
            from_dict(RunRecord, item)
            for item in self._call("/lineage/consumers", {"version_id": _checked(version_id)})
        ]

    def run_outputs(self, ref: RunRef) -> list[VersionRecord]:
        return [
            from_dict(VersionRecord, item)
            for item in self._call("/lineage/run-outputs", {"ref": to_dict(ref)})
        ]

    def run_inputs(self, ref: RunRef) -> list[VersionRecord]:
        return [
            from_dict(VersionRecord, item)
            for item in self._call("/lineage/run-inputs", {"ref": to_dict(ref)})
        ]

    def lineage(self, node_id: str, direction: Direction, depth: int) -> LineageGraph:
        if not isinstance(node_id, str) or split_run_path(node_id) is None:
            node_id = _checked(node_id)  # a version id; a run path is checked by the server
        payload = {"node_id": node_id, "direction": to_dict(direction), "depth": depth}
        return from_dict(LineageGraph, self._call("/lineage/graph", payload))

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


def _checked(version_id: object) -> str:
    """A canonical version id (``ArtifactNotFoundError`` otherwise, as the embedded store says)."""
    parse_version_id(version_id)
    return str(version_id)


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
