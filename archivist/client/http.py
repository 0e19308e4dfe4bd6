"""HttpBackend: the Backend protocol spoken to an Archivist server.

Each call is one JSON request to the route of the same name under /api/v1;
records travel in their ``to_dict`` form and are rebuilt with
``archivist.core.wire.from_dict``. Blob transfers are planned by the server
(``archivist.client.http_direct``): bytes go straight to and from its object
store through presigned URLs, or -- with a folder store -- through the server
(``archivist.client.http_transfers``: batched, streamed, several at once).
Blobs are never on this machine, so ``local_blob_path`` is None and the SDK
serves downloads through its client cache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archivist.client import http_transfers
from archivist.client.backend import ProgressCallback
from archivist.client.http_direct import DirectTransfers
from archivist.client.http_session import ApiSession
from archivist.client.http_transfers import Upload
from archivist.core.accounts import Identity
from archivist.core.errors import InvalidInputError
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
        self, files: Sequence[tuple[str, str]], progress: ProgressCallback | None = None
    ) -> None:
        uploads = [_upload(item) for item in files]
        via_server = self.transfers.upload(uploads, progress)
        if via_server:
            http_transfers.upload_batches(self.session, via_server, progress)

    def upload_bytes(self, digest: str, data: bytes) -> None:
        validate_digest(digest)
        if self.transfers.upload_bytes(digest, data):
            return

        def attempt() -> None:
            response = self.session.client.put(
                f"/blobs/{digest}", content=data, headers={"Content-Type": "application/octet-stream"}
            )
            self.session.raise_for_error(response)

        self.session.with_retries(attempt, idempotent=True)

    def download_blob(self, digest: str, dest_path: str, progress: ProgressCallback | None = None) -> None:
        validate_digest(digest)
        if not self.transfers.download({digest: [dest_path]}, progress):
            http_transfers.download_one(self.session, digest, dest_path, progress)

    def download_blobs(
        self, items: Sequence[tuple[str, str]], progress: ProgressCallback | None = None
    ) -> None:
        destinations: dict[str, list[str]] = {}
        for digest, path in items:
            destinations.setdefault(validate_digest(digest), []).append(path)
        if not self.transfers.download(destinations, progress):
            http_transfers.download_many(self.session, destinations, progress)

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
        return from_dict(VersionRecord, self._call("/versions/get", {"version_id": version_id}))

    def list_versions(self, query: VersionQuery) -> list[VersionRecord]:
        return [from_dict(VersionRecord, item) for item in self._call("/versions/list", to_dict(query))]

    def update_version(self, version_id: str, update: VersionUpdate) -> VersionRecord:
        payload = {"version_id": version_id, "update": update_to_dict(update)}
        return from_dict(VersionRecord, self._call("/versions/update", payload))

    def delete_version(self, version_id: str, delete_aliases: bool = False) -> None:
        payload = {"version_id": version_id, "delete_aliases": delete_aliases}
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
        self._call("/lineage/record-use", {"ref": to_dict(ref), "version_id": version_id})

    def version_producer(self, version_id: str) -> RunRecord | None:
        answer = self._call("/lineage/producer", {"version_id": version_id})
        return None if answer is None else from_dict(RunRecord, answer)

    def version_consumers(self, version_id: str) -> list[RunRecord]:
        return [
            from_dict(RunRecord, item)
            for item in self._call("/lineage/consumers", {"version_id": version_id})
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
        payload = {"node_id": node_id, "direction": to_dict(direction), "depth": depth}
        return from_dict(LineageGraph, self._call("/lineage/graph", payload))

    def close(self) -> None:
        self.transfers.close()
        self.session.close()


def _upload(item: object) -> Upload:
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise InvalidInputError(f"expected (digest, local_path) pairs, got {item!r}")
    digest, path = item
    validate_digests([digest])
    return Upload(digest=digest, path=str(path), size=http_transfers.file_size(str(path)))
