"""Blob bytes through the server: which are missing, batched and single uploads
and downloads (planning direct transfers is in ``transfer_routes``). A user reads
only blobs a version they may read names, or bytes they uploaded themselves, and
presence answers are scoped the same way (``archivist.service.blob_access``);
uploads need write access to some entity, count against the uploader's quota, and
are verified against their digest before they are stored."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any, Protocol

from fastapi import Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from archivist.core.digest_checks import validate_digest, validate_digests
from archivist.core.errors import InvalidInputError
from archivist.core.transfers import LISTENER_ASK_HEADER, STREAM_MIN_BYTES
from archivist.server.auth import Caller, Who
from archivist.server.blobs import download_sender, upload_receiver
from archivist.server.blobs.listener_urls import listener_address, ticket_url
from archivist.server.errors import error_response
from archivist.server.replies import api_router, reply
from archivist.server.schemas import DigestsBody
from archivist.wire.blob_frames import MAX_BLOB_SIZE

router = api_router("blobs")
FEED_BYTES = 1 << 20
OCTET_STREAM = "application/octet-stream"
MAX_BATCH_DIGESTS = 100_000
DigestParam = Annotated[str, Path(json_schema_extra={"pattern": "^[0-9a-f]{64}$"})]

_FRAMED_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
        "description": "Frames: 64 ASCII hex digest, 8-byte big-endian size, then that many bytes.",
    }
}
_UPLOAD_REPORT = {
    "type": "object",
    "properties": {
        "stored": {"type": "array", "items": {"type": "string"}},
        "rejected": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {k: {"type": "string"} for k in ("digest", "code", "message")},
            },
        },
    },
}
_BINARY_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}
}


class _Receiver(Protocol):
    def feed(self, data: bytes | bytearray | memoryview) -> None: ...

    def finish(self) -> dict[str, object]: ...

    def abort(self) -> None: ...


async def _receive(request: Request, receiver: _Receiver) -> JSONResponse:
    """Pump the request body into ``receiver`` a megabyte at a time, off the event loop.

    Two fixed buffers take turns: one is fed to the receiver in a worker thread while
    the loop fills the other, so storing (hashing, writing) overlaps with receiving,
    and no new memory is taken per megabyte (fresh pages are costly on some VMs).
    """
    buffers = (memoryview(bytearray(FEED_BYTES)), memoryview(bytearray(FEED_BYTES)))
    current, filled = 0, 0
    feeding: asyncio.Future[None] | None = None
    try:
        async for chunk in request.stream():
            piece = memoryview(chunk)
            while piece:
                take = min(len(piece), FEED_BYTES - filled)
                buffers[current][filled : filled + take] = piece[:take]
                filled += take
                piece = piece[take:]
                if filled == FEED_BYTES:  # full: feed it, fill the other (once its feed is done)
                    if feeding is not None:
                        await feeding
                    feeding = asyncio.ensure_future(run_in_threadpool(receiver.feed, buffers[current]))
                    current, filled = 1 - current, 0
        if feeding is not None:
            await feeding
            feeding = None
        if filled:
            await run_in_threadpool(receiver.feed, buffers[current][:filled])
        report = await run_in_threadpool(receiver.finish)
    except ClientDisconnect:
        await _settled(feeding)
        receiver.abort()
        return error_response(400, InvalidInputError.code, "the client went away before the upload ended")
    except BaseException:
        await _settled(feeding)
        receiver.abort()
        raise
    return JSONResponse(report)


async def _settled(feeding: asyncio.Future[None] | None) -> None:
    """Wait for a feed still running in its thread (its outcome no longer matters), so that
    ``abort`` never runs beside it."""
    if feeding is None:
        return
    if not feeding.done():
        with contextlib.suppress(BaseException):
            await asyncio.shield(feeding)
    elif not feeding.cancelled():
        feeding.exception()  # retrieved, so that asyncio does not log it as forgotten


@router.post("/blobs/missing", response_model=dict[str, list[str]])
def missing_blobs(body: DigestsBody, who: Who) -> JSONResponse:
    """The digests the store lacks, in the order asked, each once: ``{"missing": [...]}``.
    A blob the caller may not read is answered as missing (they send its bytes to prove
    they hold them)."""
    return reply({"missing": who.call("missing_blobs", body.digests)})


@router.post(
    "/blobs/upload",
    openapi_extra=_FRAMED_BODY,
    responses={200: {"content": {"application/json": {"schema": _UPLOAD_REPORT}}}},
)
async def upload_blobs(request: Request, who: Who) -> JSONResponse:
    """Store many blobs from one framed stream. Each is verified as it arrives; the
    answer lists the digests stored and those rejected because their bytes did not match."""
    state = await run_in_threadpool(who.require, "upload_files")  # the key, off the event loop
    return await _receive(request, upload_receiver.UploadBatch(state.store, who.service))


@router.put(
    "/blobs/{digest}",
    openapi_extra={"requestBody": {"required": True, "content": {OCTET_STREAM: {"schema": {}}}}},
    response_model=None,
)
async def upload_blob(digest: DigestParam, request: Request, who: Who) -> JSONResponse:
    """Store one blob from the raw body; 422 ``integrity`` when the bytes do not match."""
    state = await run_in_threadpool(who.require, "upload_bytes")  # the key, off the event loop
    validate_digest(digest)
    size = _content_length(request)
    receiver = await run_in_threadpool(upload_receiver.SingleUpload, state.store, digest, size, who.service)
    answer = await _receive(request, receiver)
    return reply(None) if answer.status_code == 200 else answer


@router.get("/blobs/{digest}", responses=_BINARY_ANSWER, response_class=StreamingResponse)
def download_blob(digest: DigestParam, request: Request, who: Who) -> Response:
    """The blob's bytes, streamed; 404 for a blob the caller may not read, as for an absent one.
    A client that sends ``X-Archivist-Listener: 1`` is redirected (307) for a large blob to
    the blob listener, which hands the file to the kernel (``sendfile``)."""
    who.require("download_blob")
    who.service.require_readable([validate_digest(digest)])
    handle, size = download_sender.open_blob(who.state.store, digest)
    redirect = _listener_redirect(request, who, digest, size)
    if redirect is not None:
        handle.close()
        return redirect
    return StreamingResponse(
        download_sender.blob_chunks(handle), media_type=OCTET_STREAM, headers={"Content-Length": str(size)}
    )


@router.post("/blobs/download", responses=_BINARY_ANSWER, response_class=StreamingResponse)
def download_blobs(body: DigestsBody, who: Who) -> StreamingResponse:
    """Many blobs in one framed stream, each asked digest once, in the order the store reads
    them best (not the order asked); 404 before any byte is sent if any is absent."""
    digests = validate_digests(body.digests)
    if len(digests) > MAX_BATCH_DIGESTS:
        raise InvalidInputError(f"{len(digests)} digests asked at once; ask for at most {MAX_BATCH_DIGESTS}")
    who.require("download_blobs")
    who.service.require_readable(digests)
    frames = download_sender.framed_blobs(who.state.store, digests)
    return StreamingResponse(frames, media_type=OCTET_STREAM)


def _listener_redirect(request: Request, who: Caller, digest: str, size: int) -> Response | None:
    """A redirect to a GET ticket of the blob listener, for a client that asks for one and a
    blob large enough to be worth the second connection; else None."""
    listener = who.state.blob_listener
    if size < STREAM_MIN_BYTES or request.headers.get(LISTENER_ASK_HEADER) != "1":
        return None
    address = listener_address(request, listener)
    if listener is None or address is None:
        return None
    lifetime = who.state.config.transfer_policy.url_expiry_seconds
    url = ticket_url(address, listener, digest, size, lifetime, who.principal.name, "GET")
    return RedirectResponse(url, status_code=307)


def _content_length(request: Request) -> int:
    raw = request.headers.get("content-length")
    if raw is None or not raw.isdigit():
        raise InvalidInputError("PUT /blobs/{digest} needs a Content-Length header with the blob's size")
    size = int(raw)
    if size > MAX_BLOB_SIZE:
        raise InvalidInputError(f"blob of {size} bytes is larger than the {MAX_BLOB_SIZE} bytes allowed")
    return size
