"""Direct client <-> object-store transfers: plan, verify, promote, clean up.

The API server never carries file bytes when the store can presign URLs
(``BlobStore.presigned_access``: an ``ObjectBlobStore`` on s3/gs/az). The flow, one
round trip each way for any number of blobs (records in ``archivist.core.transfers``):

    targets = plan_uploads(store, [UploadRequest(digest, size, resume=None), ...])
    # client: PUT the bytes of every ``put``/``multipart`` target (archivist.client.transfer.presigned)
    stored = complete_uploads(store, [UploadCompletion(...), ...])   # hashes, then promotes
    targets = plan_downloads(store, [digest, ...])                    # presigned GETs
    cleanup_stale_uploads(store, older_than_seconds=24 * 3600)        # periodically

Client bytes always land at a staging key (``incoming/<upload id>/<digest>``);
``complete_uploads`` reads each staged object back from the store, checks its
BLAKE3 and only then copies it to its content-addressed key (server-side copy),
so no client can poison a blob another project reuses. With a folder store every
upload target is ``via_server`` and the server streams and verifies bytes itself.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from archivist.core.digest_checks import validate_digest, validate_digests
from archivist.core.errors import ArchivistError, InvalidInputError
from archivist.core.transfers import (
    MAX_SINGLE_PUT_SIZE,
    CleanupReport,
    DownloadTarget,
    PartSpan,
    PartUrl,
    TransferMode,
    TransferPolicy,
    UploadCompletion,
    UploadedPart,
    UploadRequest,
    UploadTarget,
    new_upload_id,
    split_into_parts,
    validate_upload_id,
)
from archivist.storage.base import BlobStore
from archivist.storage.presigned import PresignedAccess

DEFAULT_POLICY = TransferPolicy()
COMPLETION_WORKERS = 8
MAX_ERRORS_SHOWN = 5


# --- uploads --------------------------------------------------------------------------------------


def plan_uploads(
    store: BlobStore,
    requests: Sequence[UploadRequest],
    policy: TransferPolicy = DEFAULT_POLICY,
    *,
    now: float | None = None,
    shown: Callable[[Sequence[str]], set[str]] | None = None,
) -> list[UploadTarget]:
    """One target per distinct digest, in the order asked (see ``TransferMode``).

    A request carrying the ``ResumeToken`` of an interrupted multipart upload gets
    a target whose ``uploaded`` lists the parts already stored and whose ``parts``
    presign only the rest; an unknown or unusable token starts a fresh upload.
    ``shown(present digests) -> those the caller may know of``: the others are planned
    as uploads, as if the store lacked them (a server's scoping, ``blob_access``).
    """
    unique = _validated_requests(requests)
    missing = store.missing([r.digest for r in unique], {r.digest: r.size for r in unique})
    if shown is not None:
        present = [request.digest for request in unique if request.digest not in missing]
        missing.update(set(present) - shown(present))
    presigning = store.presigned_access()
    created = time.time() if now is None else now
    targets = []
    for request in unique:
        if request.digest not in missing:
            targets.append(UploadTarget(request.digest, request.size, TransferMode.STORED))
        elif presigning is None:
            targets.append(UploadTarget(request.digest, request.size, TransferMode.VIA_SERVER))
        elif presigning.supports_multipart and request.size > min(
            policy.multipart_threshold, MAX_SINGLE_PUT_SIZE
        ):
            targets.append(_multipart_target(presigning, request, policy, created))
        else:
            targets.append(_put_target(presigning, request, policy, created))
    return targets


def _multipart_above(policy: TransferPolicy) -> int:
    return min(policy.multipart_threshold, MAX_SINGLE_PUT_SIZE)


def _validated_requests(requests: Sequence[UploadRequest]) -> list[UploadRequest]:
    if isinstance(requests, (str, bytes)) or not isinstance(requests, Sequence):
        raise InvalidInputError(f"expected a list of upload requests, got {requests!r}")
    unique: dict[str, UploadRequest] = {}
    for request in requests:
        if not isinstance(request, UploadRequest):
            raise InvalidInputError(f"expected an UploadRequest, got {request!r}")
        validate_digest(request.digest)
        if isinstance(request.size, bool) or not isinstance(request.size, int) or request.size < 0:
            raise InvalidInputError(
                f"invalid size {request.size!r} for blob {request.digest}: use a byte count >= 0"
            )
        unique.setdefault(request.digest, request)
    return list(unique.values())


def _put_target(
    store: PresignedAccess, request: UploadRequest, policy: TransferPolicy, now: float
) -> UploadTarget:
    upload_id = new_upload_id(now, secrets.token_hex(16))
    url = store.presign_upload(store.staging_key(upload_id, request.digest), policy.url_expiry_seconds)
    return UploadTarget(
        digest=request.digest,
        size=request.size,
        mode=TransferMode.PUT,
        upload_id=upload_id,
        url=url,
        headers=store.upload_headers,
        expires_in=policy.url_expiry_seconds,
    )


def _multipart_target(
    store: PresignedAccess, request: UploadRequest, policy: TransferPolicy, now: float
) -> UploadTarget:
    part_size = policy.part_size_for(request.size)
    spans = split_into_parts(request.size, part_size)
    resumed = _resumable_parts(store, request, spans)
    if resumed is not None:
        upload_id, multipart_id, uploaded = resumed
    else:
        upload_id = new_upload_id(now, secrets.token_hex(16))
        multipart_id = store.multipart.create(store.staging_key(upload_id, request.digest))
        uploaded = {}
    key = store.staging_key(upload_id, request.digest)
    expires = policy.url_expiry_seconds
    parts = tuple(
        PartUrl(
            span.part_number,
            span.offset,
            span.size,
            store.multipart.presign_part(key, multipart_id, span.part_number, expires),
        )
        for span in spans
        if span.part_number not in uploaded
    )
    return UploadTarget(
        digest=request.digest,
        size=request.size,
        mode=TransferMode.MULTIPART,
        upload_id=upload_id,
        headers=store.upload_headers,
        multipart_id=multipart_id,
        part_size=part_size,
        parts=parts,
        uploaded=tuple(uploaded[number] for number in sorted(uploaded)),
        expires_in=expires,
    )


def _resumable_parts(
    store: PresignedAccess, request: UploadRequest, spans: Sequence[PartSpan]
) -> tuple[str, str, dict[int, UploadedPart]] | None:
    """``(upload id, multipart id, {part number: stored part})`` of the upload the
    request's token names, if it is still open and its parts fit this plan's split."""
    token = request.resume
    if token is None:
        return None
    upload_id = validate_upload_id(token.upload_id)
    key = store.staging_key(upload_id, request.digest)
    stored = store.multipart.list_parts(key, token.multipart_id)
    if stored is None:
        return None
    expected = {span.part_number: span.size for span in spans}
    if any(expected.get(part.part_number) != part.size for part in stored):
        store.multipart.abort(key, token.multipart_id)  # split differently: start afresh
        return None
    return upload_id, token.multipart_id, {p.part_number: UploadedPart(p.part_number, p.etag) for p in stored}


def complete_uploads(
    store: BlobStore, completions: Sequence[UploadCompletion], *, workers: int = COMPLETION_WORKERS
) -> list[str]:
    """Finish each upload (multipart: assemble its parts), verify its BLAKE3 and promote it.

    Returns the digests now stored, in the order given. Uploads that fail are
    cleaned up (a mismatching staged object is deleted) and, once every other
    completion has been handled, raised as one error naming each digest.
    """
    presigning = store.presigned_access()
    if presigning is None:
        raise InvalidInputError(
            f"store {store!r} takes uploads through the server; there are no direct uploads to complete"
        )
    if isinstance(completions, (str, bytes)) or not isinstance(completions, Sequence):
        raise InvalidInputError(f"expected a list of upload completions, got {completions!r}")
    for completion in completions:
        _validate_completion(completion)

    def finish(completion: UploadCompletion) -> ArchivistError | None:
        try:
            _finish_upload(presigning, completion)
        except ArchivistError as error:
            return error
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(completions)))) as pool:
        errors = list(pool.map(finish, completions))
    failures = [error for error in errors if error is not None]
    if failures:
        raise _combined(failures)
    return list(dict.fromkeys(completion.digest for completion in completions))


def _validate_completion(completion: object) -> None:
    if not isinstance(completion, UploadCompletion):
        raise InvalidInputError(f"expected an UploadCompletion, got {completion!r}")
    validate_digest(completion.digest)
    validate_upload_id(completion.upload_id)
    if completion.multipart_id is not None and not completion.parts:
        raise InvalidInputError(
            f"multipart upload {completion.upload_id} of blob {completion.digest} lists no parts: "
            "send the part number and ETag of every part"
        )


def _finish_upload(store: PresignedAccess, completion: UploadCompletion) -> None:
    if completion.multipart_id is not None:
        key = store.staging_key(completion.upload_id, completion.digest)
        store.multipart.complete(key, completion.multipart_id, completion.parts)
    store.promote_staged(completion.upload_id, completion.digest)


def _combined(failures: list[ArchivistError]) -> ArchivistError:
    if len(failures) == 1:
        return failures[0]
    kind = type(failures[0])
    if any(type(error) is not kind for error in failures):
        kind = ArchivistError
    shown = "; ".join(error.message for error in failures[:MAX_ERRORS_SHOWN])
    more = f"; and {len(failures) - MAX_ERRORS_SHOWN} more" if len(failures) > MAX_ERRORS_SHOWN else ""
    return kind(f"{len(failures)} uploads failed: {shown}{more}")


# --- downloads ------------------------------------------------------------------------------------


def plan_downloads(
    store: BlobStore, digests: Sequence[str], policy: TransferPolicy = DEFAULT_POLICY
) -> list[DownloadTarget]:
    """A presigned GET per distinct digest (``via_server`` when the store cannot presign).

    Signing is local computation, so existence is not checked here: a blob that is
    absent answers the GET with 404, which the client reports as ``BlobNotFoundError``.
    """
    wanted = list(dict.fromkeys(validate_digests(digests)))
    presigning = store.presigned_access()
    if presigning is None:
        return [DownloadTarget(digest, TransferMode.VIA_SERVER) for digest in wanted]
    expires = policy.url_expiry_seconds
    return [
        DownloadTarget(digest, TransferMode.GET, presigning.presign_download(digest, expires), expires)
        for digest in wanted
    ]


# --- cleanup --------------------------------------------------------------------------------------


def cleanup_stale_uploads(
    store: BlobStore, older_than_seconds: float, *, now: float | None = None
) -> CleanupReport:
    """Abort multipart uploads and delete staged objects whose upload began more than
    ``older_than_seconds`` ago (the age is written in the upload id, so it does not
    depend on the store's clock). On a folder store, removes stale temp files."""
    if (
        isinstance(older_than_seconds, bool)
        or not isinstance(older_than_seconds, (int, float))
        or older_than_seconds < 0
    ):
        raise InvalidInputError(f"invalid age {older_than_seconds!r}: use a number of seconds >= 0")
    return store.clean_stale_uploads(older_than_seconds, now=now)
