"""S3 multipart uploads that clients fill through presigned part URLs.

obstore presigns single-object requests (GET/PUT of a path) but cannot presign
``UploadPart`` (which needs the ``uploadId`` and ``partNumber`` query
parameters inside the signature), and it does not expose the multipart calls
themselves (create, list parts, complete, abort) or a multipart server-side copy
for objects over S3's 5 GiB ``CopyObject`` limit. boto3 is used for exactly
these; every other object-store call goes through obstore.

boto3 reads the same standard ``AWS_*`` variables as obstore (credentials,
``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_S3``, region), so both talk to the same
endpoint. Keys here are relative to the store's prefix, like obstore paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from archivist.core.errors import IntegrityError, NotSupportedError, StorageError
from archivist.core.transfers import UploadedPart

INSTALL_HINT = "pip install 'archivist[objectstore]' (or: pip install boto3)"
COPY_PART_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class StoredPart:
    part_number: int
    etag: str
    size: int


@dataclass(frozen=True)
class PendingUpload:
    """A multipart upload that was created and neither completed nor aborted."""

    key: str
    multipart_id: str


class S3Multipart:
    """Multipart uploads and copies in one bucket, under the store's key prefix."""

    def __init__(self, bucket: str, prefix: str | None, environ: Mapping[str, str] | None = None) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise NotSupportedError(
                f"multipart uploads to s3://{bucket} need the boto3 package: {INSTALL_HINT}"
            ) from None
        env = os.environ if environ is None else environ
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        custom_endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
        addressing = "virtual" if env.get("AWS_VIRTUAL_HOSTED_STYLE_REQUEST") == "true" else "path"
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing if custom_endpoint else "auto"},
            retries={"max_attempts": 5, "mode": "standard"},
        )
        self.bucket = bucket
        self._prefix = f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""
        self._client: Any = boto3.session.Session().client(
            "s3", region_name=region, endpoint_url=custom_endpoint or None, config=config
        )

    def _full_key(self, key: str) -> str:
        return self._prefix + key

    def create(self, key: str) -> str:
        """Start a multipart upload at ``key``; returns its upload id."""
        with _s3_errors(f"starting a multipart upload of {key}"):
            response = self._client.create_multipart_upload(Bucket=self.bucket, Key=self._full_key(key))
        return str(response["UploadId"])

    def presign_part(self, key: str, multipart_id: str, part_number: int, expires_in: int) -> str:
        with _s3_errors(f"presigning part {part_number} of {key}"):
            return str(
                self._client.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": self.bucket,
                        "Key": self._full_key(key),
                        "UploadId": multipart_id,
                        "PartNumber": part_number,
                    },
                    ExpiresIn=expires_in,
                )
            )

    def list_parts(self, key: str, multipart_id: str) -> list[StoredPart] | None:
        """The parts stored so far, or None when no such upload is open at ``key``."""
        parts: list[StoredPart] = []
        marker = 0
        while True:
            try:
                with _s3_errors(f"listing the parts of the upload of {key}"):
                    page = self._client.list_parts(
                        Bucket=self.bucket,
                        Key=self._full_key(key),
                        UploadId=multipart_id,
                        PartNumberMarker=marker,
                    )
            except _NoSuchUpload:
                return None
            parts.extend(
                StoredPart(int(p["PartNumber"]), str(p["ETag"]), int(p["Size"]))
                for p in page.get("Parts", [])
            )
            if not page.get("IsTruncated"):
                return parts
            marker = int(page["NextPartNumberMarker"])

    def complete(self, key: str, multipart_id: str, parts: Sequence[UploadedPart]) -> None:
        ordered = sorted(parts, key=lambda part: part.part_number)
        try:
            with _s3_errors(f"completing the multipart upload of {key}"):
                self._client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self._full_key(key),
                    UploadId=multipart_id,
                    MultipartUpload={
                        "Parts": [{"PartNumber": p.part_number, "ETag": p.etag} for p in ordered]
                    },
                )
        except _NoSuchUpload:
            raise IntegrityError(
                f"no open multipart upload {multipart_id!r} at {key}: it was completed, aborted or "
                "cleaned up; plan the upload again"
            ) from None

    def abort(self, key: str, multipart_id: str) -> None:
        """Abort an upload and drop its parts; an unknown upload is ignored."""
        try:
            with _s3_errors(f"aborting the multipart upload of {key}"):
                self._client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._full_key(key), UploadId=multipart_id
                )
        except _NoSuchUpload:
            return

    def iter_pending(self, key_prefix: str) -> Iterator[PendingUpload]:
        """Every open multipart upload whose key starts with ``key_prefix``."""
        paginator = self._client.get_paginator("list_multipart_uploads")
        with _s3_errors(f"listing the open multipart uploads under {key_prefix}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._full_key(key_prefix)):
                for upload in page.get("Uploads", []):
                    full_key = str(upload["Key"])
                    yield PendingUpload(full_key[len(self._prefix) :], str(upload["UploadId"]))

    def copy(self, source_key: str, dest_key: str, part_size: int = COPY_PART_BYTES) -> None:
        """Server-side copy of any size: ``UploadPartCopy`` of ``part_size`` ranges, in parallel."""
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size)
        with _s3_errors(f"copying {source_key} to {dest_key}"):
            self._client.copy(
                {"Bucket": self.bucket, "Key": self._full_key(source_key)},
                self.bucket,
                self._full_key(dest_key),
                Config=config,
            )


class _NoSuchUpload(Exception):
    pass


@contextmanager
def _s3_errors(action: str) -> Iterator[None]:
    """Turn botocore failures into ``StorageError`` (or ``_NoSuchUpload``) naming the action."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NoSuchUpload":
            raise _NoSuchUpload(code) from None
        if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
            raise IntegrityError(f"{action} failed: {code}: {error}") from None
        raise StorageError(f"{action} failed: {error}") from None
    except BotoCoreError as error:
        raise StorageError(f"{action} failed: {error}") from None
