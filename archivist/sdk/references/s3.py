"""``s3://bucket/key[?versionId=...]`` references.

Objects are read with obstore. Credentials follow AWS's standard chain: with
boto3 installed (the ``s3`` extra) its session supplies them (environment,
``~/.aws/credentials`` and ``~/.aws/config`` profiles, SSO, instance roles),
else obstore reads the environment and instance metadata. ``AWS_ENDPOINT_URL``
(or ``AWS_ENDPOINT_URL_S3``, or W&B's ``AWS_S3_ENDPOINT_URL``) points at an
S3-compatible store such as MinIO. Finding an older version by ETag needs
``ListObjectVersions``, which obstore lacks: boto3 does just that.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from archivist.core.errors import CommError, PathNotFoundError
from archivist.sdk.references.base import first_line, missing_package, strip_etag
from archivist.sdk.references.objects import ObjectLocation, ObjectStoreReferenceHandler
from archivist.sdk.references.obstore_bucket import ObstoreBucket, import_obstore, retry_config
from archivist.sdk.references.uris import environment, split_bucket_uri, version_in_query

if TYPE_CHECKING:
    from obstore.store import S3Config

_BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,254}")
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_S3_ENDPOINT_URL")
_HINT = (
    "credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws/credentials; "
    "check them, the region (AWS_REGION) and AWS_ENDPOINT_URL"
)


def parse_s3_uri(uri: str) -> ObjectLocation:
    parts = split_bucket_uri(uri, "S3", _BUCKET_NAME, "letters, digits, '.', '-', '_'")
    key = parts.path.lstrip("/") + (f"#{parts.fragment}" if parts.fragment else "")
    version = version_in_query(uri, parts.query, "S3")
    return ObjectLocation(bucket=parts.netloc, key=key, version=version)


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def _endpoint(environ: dict[str, str]) -> str | None:
    for name in _ENDPOINT_VARIABLES:
        if environ.get(name):
            return environ[name]
    return None


def open_s3_bucket(bucket: str) -> ObstoreBucket:
    """The bucket with credentials and endpoint from the environment as it is now."""
    return _open(bucket, environment("AWS_"))


@functools.lru_cache(maxsize=32)
def _open(bucket: str, aws_environment: tuple[tuple[str, str], ...]) -> ObstoreBucket:
    import_obstore("s3:// references", "s3")
    from obstore.store import S3Store

    environ = dict(aws_environment)
    endpoint = _endpoint(environ)
    session = _boto3_session()
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if region is None and session is not None:
        region = session.region_name
    config: S3Config = {"region": region or "us-east-1"}
    if endpoint:
        config["endpoint"] = endpoint
    provider = _credential_provider(session)
    store = S3Store(
        bucket,
        config=config,
        client_options={"allow_http": bool(endpoint and endpoint.startswith("http://"))},
        retry_config=retry_config(),  # type: ignore[arg-type]
        credential_provider=provider,
    )
    return ObstoreBucket(
        store,
        describe=f"S3 bucket {bucket!r}" + (f" at {endpoint}" if endpoint else ""),
        uri_of=functools.partial(s3_uri, bucket),
        find_version=_VersionFinder(bucket, endpoint, config["region"]),
        hint=_HINT,
    )


def _boto3_session() -> Any:
    try:
        import boto3
    except ImportError:
        return None
    return boto3.Session()


def _credential_provider(session: Any) -> Any:
    """boto3's credential chain for obstore, or None to let obstore read the environment."""
    if session is None or session.get_credentials() is None:
        return None
    from obstore.auth.boto3 import Boto3CredentialProvider

    return Boto3CredentialProvider(session)


class _VersionFinder:
    """Looks through a versioned bucket for a version of a key with a given ETag (boto3)."""

    def __init__(self, bucket: str, endpoint: str | None, region: str) -> None:
        self._bucket = bucket
        self._endpoint = endpoint
        self._region = region

    def __call__(self, key: str, etag: str) -> str | None:
        try:
            import boto3
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError:
            raise missing_package("boto3", "s3", "finding an older version of an S3 object") from None
        client = boto3.client("s3", endpoint_url=self._endpoint, region_name=self._region)
        pages = client.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=key)
        try:
            for page in pages:
                for version in page.get("Versions", []):
                    if version["Key"] == key and strip_etag(version.get("ETag")) == etag:
                        found = version.get("VersionId")  # "null": stored before versioning began
                        return None if found is None else str(found)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
                raise PathNotFoundError(f"S3 bucket {self._bucket!r} does not exist") from None
            raise self._failed(key, error) from None
        except BotoCoreError as error:
            raise self._failed(key, error) from None
        return None

    def _failed(self, key: str, error: Exception) -> CommError:
        return CommError(f"cannot list versions of s3://{self._bucket}/{key}: {first_line(error)}")


S3_HANDLER = ObjectStoreReferenceHandler("s3", parse_s3_uri, s3_uri, open_s3_bucket)
