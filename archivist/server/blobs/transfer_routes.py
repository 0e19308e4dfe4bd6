"""Planning blob transfers: the client asks how to send or fetch many blobs in one
round trip. With a folder store every blob goes through the server
(``via_server``: the framed routes of ``byte_routes``); with an object store that
can presign URLs the client moves the bytes straight to or from the store, and the
server verifies each upload's BLAKE3 at ``upload-complete`` before the blob can be
reused (``archivist.service.transfers``). Planned uploads count against the
uploader's quota; download plans are refused for blobs the caller may not read
(``archivist.service.blob_access``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from archivist.core.errors import InvalidInputError
from archivist.core.transfer_json import (
    download_target_to_json,
    upload_completion_from_json,
    upload_request_from_json,
    upload_target_to_json,
)
from archivist.core.transfers import STREAM_MIN_BYTES, TransferMode, UploadTarget
from archivist.server.auth import Who
from archivist.server.blobs.listener import BlobListener
from archivist.server.blobs.listener_urls import listener_address, ticket_url
from archivist.server.replies import api_router, reply
from archivist.server.schemas import DigestsBody, UploadCompleteBody, UploadPlanBody

router = api_router("blobs")
MAX_PLANNED = 100_000
TargetList = dict[str, list[dict[str, Any]]]


def _check_count(count: int, what: str) -> None:
    if count > MAX_PLANNED:
        raise InvalidInputError(f"{count} {what} asked at once; ask for at most {MAX_PLANNED}")


@router.post("/blobs/upload-plan", response_model=TargetList)
def upload_plan(body: UploadPlanBody, request: Request, who: Who) -> JSONResponse:
    """How to send each blob, one target per distinct digest: ``{"targets": [...]}`` with
    ``mode`` ``stored`` (nothing to send), ``via_server`` (framed ``POST /blobs/upload``),
    ``put`` (one presigned PUT to ``url``), ``multipart`` (a presigned PUT per part) or,
    when the body says ``"stream": true``, ``stream`` for a large blob (one PUT to ``url``
    on the server's blob listener)."""
    _check_count(len(body.blobs), "blobs")
    requests = [upload_request_from_json(blob.model_dump()) for blob in body.blobs]
    state = who.state
    policy = state.config.transfer_policy
    targets = who.call("upload_plan", requests, policy)
    listener = state.blob_listener
    address = listener_address(request, listener) if body.stream else None
    if listener is not None and address is not None:
        targets = [
            _streamed(target, address, listener, policy.url_expiry_seconds, who.principal.name)
            for target in targets
        ]
    return reply({"targets": [upload_target_to_json(target) for target in targets]})


def _streamed(
    target: UploadTarget, address: str, listener: BlobListener, lifetime: int, user: str
) -> UploadTarget:
    """A large ``via_server`` target as a ``stream`` one to the blob listener at ``address``."""
    if target.mode is not TransferMode.VIA_SERVER or target.size < STREAM_MIN_BYTES:
        return target
    url = ticket_url(address, listener, target.digest, target.size, lifetime, user, "PUT")
    return replace(target, mode=TransferMode.STREAM, url=url, expires_in=lifetime)


@router.post("/blobs/upload-complete", response_model=dict[str, list[str]])
def upload_complete(body: UploadCompleteBody, who: Who) -> JSONResponse:
    """Verify the BLAKE3 of each directly uploaded blob and store it: ``{"stored": [...]}``.
    Blobs whose bytes do not match are deleted and answered as 422 ``integrity`` naming
    them (the matching ones of the same call are stored)."""
    _check_count(len(body.completions), "completions")
    completions = [upload_completion_from_json(item.model_dump()) for item in body.completions]
    return reply({"stored": who.call("upload_complete", completions)})


@router.post("/blobs/download-plan", response_model=TargetList)
def download_plan(body: DigestsBody, who: Who) -> JSONResponse:
    """How to fetch each blob: ``{"targets": [...]}`` with ``mode`` ``get`` (a presigned
    GET in ``url``) or ``via_server`` (``GET /blobs/{digest}`` or ``POST /blobs/download``)."""
    _check_count(len(body.digests), "digests")
    targets = who.call("download_plan", body.digests, who.state.config.transfer_policy)
    return reply({"targets": [download_target_to_json(target) for target in targets]})
