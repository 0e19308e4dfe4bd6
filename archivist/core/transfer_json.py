"""The JSON form of the transfer records (``archivist.core.transfers``).

``*_to_json`` gives plain JSON values; ``*_from_json`` checks every field of a
value that came over the wire and raises ``InvalidInputError`` naming the field,
the bad value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import is_blob_digest
from archivist.core.transfers import (
    MAX_PARTS,
    CleanupReport,
    DownloadTarget,
    PartUrl,
    ResumeToken,
    TransferMode,
    UploadCompletion,
    UploadedPart,
    UploadRequest,
    UploadTarget,
    validate_upload_id,
)


def _require(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInputError(f"invalid {what}.{key} {value!r}: expected {_kind_name(kind)}")
    return value


def _optional(data: Mapping[str, Any], key: str, kind: type, what: str) -> Any:
    return None if data.get(key) is None else _require(data, key, kind, what)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "a string", "int": "an integer"}.get(k.__name__, k.__name__) for k in kinds)


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"invalid {what} {value!r}: expected a JSON object")
    return value


def _list(value: object, what: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise InvalidInputError(f"invalid {what} {value!r}: expected a list")
    return value


def _digest(data: Mapping[str, Any], what: str) -> str:
    digest = data.get("digest")
    if not isinstance(digest, str) or not is_blob_digest(digest):
        raise InvalidInputError(
            f"invalid {what}.digest {digest!r}: expected 64 lowercase hex characters (BLAKE3)"
        )
    return digest


def _size(data: Mapping[str, Any], key: str, what: str) -> int:
    value = _require(data, key, int, what)
    if value < 0:
        raise InvalidInputError(f"invalid {what}.{key} {value!r}: expected a size >= 0")
    return int(value)


def _part_number(data: Mapping[str, Any], what: str) -> int:
    number = _require(data, "part_number", int, what)
    if not 1 <= number <= MAX_PARTS:
        raise InvalidInputError(f"invalid {what}.part_number {number!r}: use 1 to {MAX_PARTS}")
    return int(number)


def resume_token_to_json(token: ResumeToken) -> dict[str, Any]:
    return {"upload_id": token.upload_id, "multipart_id": token.multipart_id}


def resume_token_from_json(value: object) -> ResumeToken:
    data = _mapping(value, "resume")
    return ResumeToken(
        upload_id=validate_upload_id(data.get("upload_id")),
        multipart_id=_require(data, "multipart_id", str, "resume"),
    )


def upload_request_to_json(request: UploadRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"digest": request.digest, "size": request.size}
    if request.resume is not None:
        out["resume"] = resume_token_to_json(request.resume)
    return out


def upload_request_from_json(value: object) -> UploadRequest:
    data = _mapping(value, "upload request")
    resume = data.get("resume")
    return UploadRequest(
        digest=_digest(data, "upload request"),
        size=_size(data, "size", "upload request"),
        resume=None if resume is None else resume_token_from_json(resume),
    )


def _parts_to_json(parts: Sequence[UploadedPart]) -> list[dict[str, Any]]:
    return [{"part_number": part.part_number, "etag": part.etag} for part in parts]


def _parts_from_json(value: object, what: str) -> tuple[UploadedPart, ...]:
    parts = []
    for item in _list(value, what):
        data = _mapping(item, what)
        parts.append(UploadedPart(_part_number(data, what), _require(data, "etag", str, what)))
    return tuple(parts)


def upload_target_to_json(target: UploadTarget) -> dict[str, Any]:
    return {
        "digest": target.digest,
        "size": target.size,
        "mode": target.mode.value,
        "upload_id": target.upload_id,
        "url": target.url,
        "headers": dict(target.headers),
        "multipart_id": target.multipart_id,
        "part_size": target.part_size,
        "parts": [
            {"part_number": p.part_number, "offset": p.offset, "size": p.size, "url": p.url}
            for p in target.parts
        ],
        "uploaded": _parts_to_json(target.uploaded),
        "expires_in": target.expires_in,
    }


def upload_target_from_json(value: object) -> UploadTarget:
    what = "upload target"
    data = _mapping(value, what)
    headers = _mapping(data.get("headers") or {}, f"{what}.headers")
    parts = []
    for item in _list(data.get("parts"), f"{what}.parts"):
        part = _mapping(item, f"{what}.parts")
        parts.append(
            PartUrl(
                part_number=_part_number(part, f"{what}.parts"),
                offset=_size(part, "offset", f"{what}.parts"),
                size=_size(part, "size", f"{what}.parts"),
                url=_require(part, "url", str, f"{what}.parts"),
            )
        )
    upload_id = data.get("upload_id")
    return UploadTarget(
        digest=_digest(data, what),
        size=_size(data, "size", what),
        mode=_mode(data, what),
        upload_id=None if upload_id is None else validate_upload_id(upload_id),
        url=_optional(data, "url", str, what),
        headers={str(k): str(v) for k, v in headers.items()},
        multipart_id=_optional(data, "multipart_id", str, what),
        part_size=_size(data, "part_size", what) if "part_size" in data else 0,
        parts=tuple(parts),
        uploaded=_parts_from_json(data.get("uploaded"), f"{what}.uploaded"),
        expires_in=_size(data, "expires_in", what) if "expires_in" in data else 0,
    )


def upload_completion_to_json(completion: UploadCompletion) -> dict[str, Any]:
    return {
        "digest": completion.digest,
        "upload_id": completion.upload_id,
        "multipart_id": completion.multipart_id,
        "parts": _parts_to_json(completion.parts),
    }


def upload_completion_from_json(value: object) -> UploadCompletion:
    what = "upload completion"
    data = _mapping(value, what)
    return UploadCompletion(
        digest=_digest(data, what),
        upload_id=validate_upload_id(data.get("upload_id")),
        multipart_id=_optional(data, "multipart_id", str, what),
        parts=_parts_from_json(data.get("parts"), f"{what}.parts"),
    )


def download_target_to_json(target: DownloadTarget) -> dict[str, Any]:
    return {
        "digest": target.digest,
        "mode": target.mode.value,
        "url": target.url,
        "expires_in": target.expires_in,
    }


def download_target_from_json(value: object) -> DownloadTarget:
    what = "download target"
    data = _mapping(value, what)
    return DownloadTarget(
        digest=_digest(data, what),
        mode=_mode(data, what),
        url=_optional(data, "url", str, what),
        expires_in=_size(data, "expires_in", what) if "expires_in" in data else 0,
    )


def _mode(data: Mapping[str, Any], what: str) -> TransferMode:
    value = data.get("mode")
    try:
        return TransferMode(value)
    except ValueError:
        allowed = ", ".join(mode.value for mode in TransferMode)
        raise InvalidInputError(f"invalid {what}.mode {value!r}: use one of {allowed}") from None


def cleanup_report_to_json(report: CleanupReport) -> dict[str, Any]:
    return {
        "aborted_uploads": report.aborted_uploads,
        "deleted_staged": report.deleted_staged,
        "reclaimed_bytes": report.reclaimed_bytes,
    }
