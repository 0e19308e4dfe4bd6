"""The transfer records: part arithmetic, upload ids, and their JSON form (pure code)."""

from __future__ import annotations

import json

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import hash_bytes
from archivist.core.transfer_json import (
    cleanup_report_to_json,
    download_target_from_json,
    download_target_to_json,
    upload_completion_from_json,
    upload_completion_to_json,
    upload_request_from_json,
    upload_request_to_json,
    upload_target_from_json,
    upload_target_to_json,
)
from archivist.core.transfers import (
    MAX_PARTS,
    MIB,
    CleanupReport,
    DownloadTarget,
    PartSpan,
    PartUrl,
    ResumeToken,
    TransferMode,
    TransferPolicy,
    UploadCompletion,
    UploadedPart,
    UploadRequest,
    UploadTarget,
    new_upload_id,
    split_into_parts,
    upload_id_created_at,
    validate_upload_id,
)

DIGEST = hash_bytes(b"record")
UPLOAD_ID = new_upload_id(1_700_000_000, "ab" * 16)


def test_parts_cover_the_blob_and_only_the_last_is_short() -> None:
    assert split_into_parts(20 * MIB, 8 * MIB) == [
        PartSpan(1, 0, 8 * MIB),
        PartSpan(2, 8 * MIB, 8 * MIB),
        PartSpan(3, 16 * MIB, 4 * MIB),
    ]
    assert split_into_parts(16 * MIB, 8 * MIB) == [PartSpan(1, 0, 8 * MIB), PartSpan(2, 8 * MIB, 8 * MIB)]
    assert split_into_parts(0, 8 * MIB) == [PartSpan(1, 0, 0)]


def test_part_size_stays_at_least_8_mib_and_within_the_part_limit() -> None:
    policy = TransferPolicy()
    assert policy.part_size_for(20 * MIB) == 8 * MIB
    huge = 200 * 1024**3  # 200 GiB: 8 MiB parts would be 25,600 parts
    size = policy.part_size_for(huge)
    assert size % MIB == 0 and huge / size <= MAX_PARTS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_part_size": 5 * MIB}, "parts must be at least"),
        ({"multipart_threshold": MIB}, "use at least the part size"),
        ({"url_expiry_seconds": 10}, "use 60 s to 7 days"),
    ],
)
def test_a_policy_refuses_unusable_settings(changes: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        TransferPolicy(**changes)


def test_upload_ids_carry_their_creation_time_and_nothing_else_passes() -> None:
    assert upload_id_created_at(UPLOAD_ID) == 1_700_000_000
    assert validate_upload_id(UPLOAD_ID) == UPLOAD_ID
    for bad in ("", "../x", "6553f100-" + "g" * 32, UPLOAD_ID + "/..", 12):
        with pytest.raises(InvalidInputError, match="invalid upload id"):
            validate_upload_id(bad)


def _through_json(value: object) -> object:
    return json.loads(json.dumps(value))


def test_every_record_survives_its_json_form() -> None:
    request = UploadRequest(DIGEST, 10, ResumeToken(UPLOAD_ID, "mp-1"))
    assert upload_request_from_json(_through_json(upload_request_to_json(request))) == request
    target = UploadTarget(
        DIGEST,
        20 * MIB,
        TransferMode.MULTIPART,
        upload_id=UPLOAD_ID,
        headers={"x-ms-blob-type": "BlockBlob"},
        multipart_id="mp-1",
        part_size=8 * MIB,
        parts=(PartUrl(2, 8 * MIB, 8 * MIB, "https://store/part2"),),
        uploaded=(UploadedPart(1, '"etag1"'),),
        expires_in=3600,
    )
    assert upload_target_from_json(_through_json(upload_target_to_json(target))) == target
    assert target.resume_token == ResumeToken(UPLOAD_ID, "mp-1")
    completion = UploadCompletion(
        DIGEST, UPLOAD_ID, "mp-1", (UploadedPart(1, '"e1"'), UploadedPart(2, '"e2"'))
    )
    assert upload_completion_from_json(_through_json(upload_completion_to_json(completion))) == completion
    download = DownloadTarget(DIGEST, TransferMode.GET, "https://store/blob", 60)
    assert download_target_from_json(_through_json(download_target_to_json(download))) == download
    assert cleanup_report_to_json(CleanupReport(1, 2, 3)) == {
        "aborted_uploads": 1,
        "deleted_staged": 2,
        "reclaimed_bytes": 3,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "invalid upload request"),
        ({"digest": "abc", "size": 1}, r"upload request\.digest 'abc'"),
        ({"digest": DIGEST, "size": -1}, r"upload request\.size -1"),
        ({"digest": DIGEST, "size": True}, r"upload request\.size True"),
        ({"digest": DIGEST, "size": 1, "resume": {"upload_id": "x"}}, "invalid upload id 'x'"),
        ({"digest": DIGEST, "size": 1, "resume": {"upload_id": UPLOAD_ID}}, r"resume\.multipart_id None"),
    ],
)
def test_malformed_upload_requests_are_refused_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        upload_request_from_json(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"digest": DIGEST, "upload_id": "../../blobs"}, "invalid upload id"),
        ({"digest": DIGEST, "upload_id": UPLOAD_ID, "parts": {}}, "expected a list"),
        (
            {"digest": DIGEST, "upload_id": UPLOAD_ID, "parts": [{"part_number": 0, "etag": "e"}]},
            r"part_number 0: use 1 to 10000",
        ),
        (
            {"digest": DIGEST, "upload_id": UPLOAD_ID, "parts": [{"part_number": 1}]},
            r"etag None: expected a string",
        ),
    ],
)
def test_malformed_completions_are_refused_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        upload_completion_from_json(value)


def test_an_unknown_mode_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidInputError, match="use one of stored, via_server, stream, put, multipart, get"):
        download_target_from_json({"digest": DIGEST, "mode": "teleport"})
