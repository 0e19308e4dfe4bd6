"""Planning, verifying and promoting presigned transfers, against moto's S3 server.

The client side here is plain httpx PUTs/GETs on the presigned URLs (the client
helper has its own tests), so that these tests pin what the service promises.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import httpx
import pytest

from archivist.core.errors import BlobNotFoundError, IntegrityError, InvalidInputError
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import (
    ResumeToken,
    TransferMode,
    TransferPolicy,
    UploadCompletion,
    UploadedPart,
    UploadRequest,
    UploadTarget,
    new_upload_id,
)
from archivist.service.transfers import (
    cleanup_stale_uploads,
    complete_uploads,
    plan_downloads,
    plan_uploads,
)
from archivist.storage.local import LocalBlobStore
from archivist.storage.object_store import ObjectBlobStore
from tests.fixtures.s3 import (  # noqa: F401
    BUCKET,
    keys_under,
    open_multipart_uploads,
    s3_client,
    s3_endpoint_fixture,
    s3_prefix_fixture,
    s3_url_fixture,
)

MIB = 1024 * 1024
MULTIPART = TransferPolicy(multipart_threshold=16 * MIB)  # 20 MiB -> parts of 8, 8 and 4 MiB


@pytest.fixture
def store(s3_url: str) -> ObjectBlobStore:
    return ObjectBlobStore(s3_url)


def _put(target: UploadTarget, data: bytes) -> UploadCompletion:
    assert target.mode is TransferMode.PUT and target.url and target.upload_id
    httpx.put(target.url, content=data, headers=dict(target.headers)).raise_for_status()
    return UploadCompletion(target.digest, target.upload_id)


def _put_parts(target: UploadTarget, data: bytes, numbers: set[int] | None = None) -> list[UploadedPart]:
    sent = []
    for part in target.parts:
        if numbers is None or part.part_number in numbers:
            response = httpx.put(part.url, content=data[part.offset : part.offset + part.size])
            response.raise_for_status()
            sent.append(UploadedPart(part.part_number, response.headers["etag"]))
    return sent


def _completion(target: UploadTarget, parts: list[UploadedPart]) -> UploadCompletion:
    assert target.upload_id and target.multipart_id
    return UploadCompletion(target.digest, target.upload_id, target.multipart_id, (*target.uploaded, *parts))


def _read(store: ObjectBlobStore, digest: str) -> bytes:
    with store.open(digest) as reader:
        return reader.read()


# --- single PUTs -------------------------------------------------------------------------------


def test_a_missing_blob_is_planned_as_a_presigned_put_to_a_staging_key(
    store: ObjectBlobStore, s3_prefix: str
) -> None:
    stored, fresh = b"already there", b"new bytes"
    store.put_bytes(hash_bytes(stored), stored)
    targets = plan_uploads(
        store,
        [
            UploadRequest(hash_bytes(stored), len(stored)),
            UploadRequest(hash_bytes(fresh), len(fresh)),
            UploadRequest(hash_bytes(fresh), len(fresh)),  # asked twice, planned once
        ],
    )
    assert [t.mode for t in targets] == [TransferMode.STORED, TransferMode.PUT]
    put = targets[1]
    assert put.upload_id and put.url and put.expires_in == 3600
    assert f"/{s3_prefix}/incoming/{put.upload_id}/{put.digest}?" in put.url
    _put(put, fresh)
    assert keys_under(s3_prefix, "incoming/") == [f"incoming/{put.upload_id}/{put.digest}"]
    assert store.missing([put.digest]) == {put.digest}  # not visible before verification


def test_completing_verifies_then_promotes_and_removes_the_staged_copy(
    store: ObjectBlobStore, s3_prefix: str
) -> None:
    data = os.urandom(3000)
    [target] = plan_uploads(store, [UploadRequest(hash_bytes(data), len(data))])
    completion = _put(target, data)
    assert complete_uploads(store, [completion]) == [target.digest]
    assert _read(store, target.digest) == data
    assert keys_under(s3_prefix) == [store.blob_key(target.digest)]
    assert complete_uploads(store, []) == []


def test_a_poisoned_upload_is_rejected_deleted_and_never_visible(
    store: ObjectBlobStore, s3_prefix: str
) -> None:
    claimed = hash_bytes(b"the real model weights")
    [target] = plan_uploads(store, [UploadRequest(claimed, 22)])
    completion = _put(target, b"attacker-chosen bytes!")
    with pytest.raises(IntegrityError, match=f"blob {claimed} was rejected") as info:
        complete_uploads(store, [completion])
    assert hash_bytes(b"attacker-chosen bytes!") in str(info.value)
    assert store.missing([claimed]) == {claimed}
    assert keys_under(s3_prefix) == []  # neither the final key nor the staged copy exists
    assert list(store.iter_digests()) == []


def test_good_uploads_are_promoted_even_when_others_in_the_batch_fail(store: ObjectBlobStore) -> None:
    good, bad1, bad2 = b"good", b"claimed one", b"claimed two"
    targets = plan_uploads(store, [UploadRequest(hash_bytes(x), len(x)) for x in (good, bad1, bad2)])
    completions = [_put(targets[0], good), _put(targets[1], b"forged one"), _put(targets[2], b"forged two")]
    with pytest.raises(IntegrityError, match="2 uploads failed") as info:
        complete_uploads(store, completions)
    assert hash_bytes(bad1) in str(info.value) and hash_bytes(bad2) in str(info.value)
    assert store.missing([hash_bytes(x) for x in (good, bad1, bad2)]) == {hash_bytes(bad1), hash_bytes(bad2)}


def test_completing_an_upload_that_sent_nothing_names_the_digest(store: ObjectBlobStore) -> None:
    [target] = plan_uploads(store, [UploadRequest(hash_bytes(b"never sent"), 10)])
    assert target.upload_id
    with pytest.raises(BlobNotFoundError, match=f"blob {target.digest} has no bytes in the store"):
        complete_uploads(store, [UploadCompletion(target.digest, target.upload_id)])


# --- multipart ---------------------------------------------------------------------------------


def test_a_large_blob_is_planned_as_parts_and_assembled_in_any_order(store: ObjectBlobStore) -> None:
    data = os.urandom(20 * MIB)
    [target] = plan_uploads(store, [UploadRequest(hash_bytes(data), len(data))], MULTIPART)
    assert target.mode is TransferMode.MULTIPART and target.part_size == 8 * MIB
    assert [(p.part_number, p.offset, p.size) for p in target.parts] == [
        (1, 0, 8 * MIB),
        (2, 8 * MIB, 8 * MIB),
        (3, 16 * MIB, 4 * MIB),
    ]
    parts = _put_parts(target, data)
    assert complete_uploads(store, [_completion(target, parts[::-1])]) == [target.digest]
    assert _read(store, target.digest) == data


def test_an_interrupted_multipart_upload_resumes_with_only_the_missing_parts(
    store: ObjectBlobStore, s3_prefix: str
) -> None:
    data = os.urandom(20 * MIB)
    request = UploadRequest(hash_bytes(data), len(data))
    [first] = plan_uploads(store, [request], MULTIPART)
    _put_parts(first, data, numbers={2})  # the client "crashes" after one part
    assert first.resume_token is not None
    [resumed] = plan_uploads(store, [dataclasses.replace(request, resume=first.resume_token)], MULTIPART)
    assert (resumed.upload_id, resumed.multipart_id) == (first.upload_id, first.multipart_id)
    assert [p.part_number for p in resumed.uploaded] == [2]
    assert [p.part_number for p in resumed.parts] == [1, 3]
    sent = _put_parts(resumed, data)
    complete_uploads(store, [_completion(resumed, sent)])
    assert _read(store, resumed.digest) == data
    assert open_multipart_uploads(s3_prefix) == []


def test_a_resume_token_the_store_no_longer_knows_starts_a_fresh_upload(store: ObjectBlobStore) -> None:
    data = os.urandom(20 * MIB)
    stale = ResumeToken(new_upload_id(time.time(), "0" * 32), "no-such-multipart-upload")
    [target] = plan_uploads(store, [UploadRequest(hash_bytes(data), len(data), stale)], MULTIPART)
    assert target.upload_id != stale.upload_id
    assert target.uploaded == () and len(target.parts) == 3


def test_a_multipart_upload_of_wrong_bytes_is_rejected(store: ObjectBlobStore, s3_prefix: str) -> None:
    data = os.urandom(20 * MIB)
    [target] = plan_uploads(store, [UploadRequest(hash_bytes(data), len(data))], MULTIPART)
    forged = bytearray(data)
    forged[-1] ^= 0xFF
    parts = _put_parts(target, bytes(forged))
    with pytest.raises(IntegrityError, match=f"blob {target.digest} was rejected"):
        complete_uploads(store, [_completion(target, parts)])
    assert store.missing([target.digest]) == {target.digest}
    assert keys_under(s3_prefix) == []


def test_a_blob_above_the_copy_limit_is_promoted_by_a_multipart_copy(s3_url: str, s3_prefix: str) -> None:
    store = ObjectBlobStore(s3_url, server_copy_limit=6 * MIB)
    data = os.urandom(20 * MIB)
    [target] = plan_uploads(store, [UploadRequest(hash_bytes(data), len(data))], MULTIPART)
    complete_uploads(store, [_completion(target, _put_parts(target, data))])
    assert _read(store, target.digest) == data
    head = s3_client().head_object(Bucket=BUCKET, Key=f"{s3_prefix}/{store.blob_key(target.digest)}")
    assert head["ETag"].endswith('-4"')  # copied as four 6 MiB ranges, not one CopyObject


# --- downloads, folder stores, cleanup ------------------------------------------------------------


def test_downloads_are_presigned_gets(store: ObjectBlobStore) -> None:
    data = b"download me"
    store.put_bytes(hash_bytes(data), data)
    absent = hash_bytes(b"absent")
    targets = plan_downloads(store, [hash_bytes(data), absent, hash_bytes(data)])
    assert [t.mode for t in targets] == [TransferMode.GET, TransferMode.GET]
    assert httpx.get(targets[0].url or "").content == data
    assert httpx.get(targets[1].url or "").status_code == 404


def test_a_folder_store_takes_every_transfer_through_the_server(tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path / "blobs"))
    store.put_bytes(hash_bytes(b"kept"), b"kept")
    targets = plan_uploads(
        store, [UploadRequest(hash_bytes(b"kept"), 4), UploadRequest(hash_bytes(b"new"), 3)]
    )
    assert [t.mode for t in targets] == [TransferMode.STORED, TransferMode.VIA_SERVER]
    assert [t.mode for t in plan_downloads(store, [hash_bytes(b"kept")])] == [TransferMode.VIA_SERVER]
    with pytest.raises(InvalidInputError, match="through the server"):
        complete_uploads(store, [UploadCompletion(hash_bytes(b"new"), new_upload_id(0, "0" * 32))])


def test_stale_staged_uploads_are_aborted_and_deleted(store: ObjectBlobStore, s3_prefix: str) -> None:
    big = os.urandom(20 * MIB)
    small = b"uploaded, never completed"
    then = time.time() - 3 * 3600
    [multipart] = plan_uploads(store, [UploadRequest(hash_bytes(big), len(big))], MULTIPART, now=then)
    _put_parts(multipart, big, numbers={1})
    [put] = plan_uploads(store, [UploadRequest(hash_bytes(small), len(small))], now=then)
    _put(put, small)
    [recent] = plan_uploads(store, [UploadRequest(hash_bytes(b"recent"), 6)])
    _put(recent, b"recent")
    assert len(open_multipart_uploads(s3_prefix)) == 1

    report = cleanup_stale_uploads(store, older_than_seconds=2 * 3600)
    assert (report.aborted_uploads, report.deleted_staged) == (1, 1)
    assert open_multipart_uploads(s3_prefix) == []
    assert keys_under(s3_prefix) == [f"incoming/{recent.upload_id}/{recent.digest}"]  # younger: kept
    assert cleanup_stale_uploads(store, older_than_seconds=2 * 3600).deleted_staged == 0


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([UploadRequest("abc", 1)], "invalid digest 'abc'"),
        ([UploadRequest(hash_bytes(b"x"), -1)], "invalid size -1"),
        ("not a list", "expected a list of upload requests"),
    ],
)
def test_plan_refuses_malformed_requests(store: ObjectBlobStore, requests: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        plan_uploads(store, requests)  # type: ignore[arg-type]


def test_complete_refuses_malformed_completions(store: ObjectBlobStore) -> None:
    digest = hash_bytes(b"x")
    with pytest.raises(InvalidInputError, match="invalid upload id '../../blobs'"):
        complete_uploads(store, [UploadCompletion(digest, "../../blobs")])
    upload_id = new_upload_id(time.time(), "a" * 32)
    with pytest.raises(InvalidInputError, match="lists no parts"):
        complete_uploads(store, [UploadCompletion(digest, upload_id, "some-multipart-id")])
