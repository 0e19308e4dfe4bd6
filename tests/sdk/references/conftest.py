"""Real storage endpoints on loopback for the reference tests, one per session:
moto's S3 server, gcp-storage-emulator and Azurite. Each test gets its own
bucket (container) and the provider's environment variables pointing at them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.emulators import Azurite, azurite, gcs_emulator
from tests.fixtures.servers import S3_TEST_ENV, moto_s3

_names = itertools.count()


def unique_bucket(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture
def provider_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No provider settings from the developer's machine, and no instance metadata lookups.

    Tests that only add references need nothing else (no store is touched); tests that log
    or download ask for ``refs_env`` too, and so run on the embedded store and on a server.
    """
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_S3_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # never ask an instance metadata service (169.254.169.254) for credentials
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def refs_env(archivist_env: Path, provider_env: None) -> Path:
    """An isolated store (embedded, then a server) besides the provider settings."""
    return archivist_env


# --- S3 -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_TEST_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_TEST_ENV["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def s3(provider_env: None, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A boto3 client of the moto server; the environment points Archivist at it too."""
    for name, value in S3_TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    return s3_client(s3_endpoint)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = unique_bucket("plain")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def versioned_bucket(s3: Any) -> str:
    name = unique_bucket("versioned")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


# --- GCS ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def gcs_host() -> Iterator[str]:
    with gcs_emulator() as host:
        yield host


@pytest.fixture
def gcs_bucket(provider_env: None, gcs_host: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh bucket of the emulator (a google.cloud.storage.Bucket)."""
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_host)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    return storage.Client().create_bucket(unique_bucket("gcs"))


# --- Azure ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def azurite_server() -> Iterator[Azurite]:
    with azurite() as server:
        yield server


@pytest.fixture
def azure_container(provider_env: None, azurite_server: Azurite, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh container of Azurite (an azure.storage.blob.ContainerClient); references name it
    by its public URL and AZURE_STORAGE_ENDPOINT sends the requests to Azurite."""
    from azure.storage.blob import BlobServiceClient

    for name in ("AZURE_STORAGE_SAS_TOKEN", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_STORAGE_ENDPOINT", azurite_server.endpoint)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", azurite_server.key)
    service = BlobServiceClient.from_connection_string(azurite_server.connection_string)
    return service.create_container(unique_bucket("container"))
