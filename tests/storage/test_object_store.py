"""ObjectBlobStore against moto's S3 server on loopback (and a folder through obstore's
``file://`` store): the shared BlobStore contract plus what only an object store promises."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from archivist.core.errors import (
    FileChangedError,
    InvalidInputError,
    NotSupportedError,
)
from archivist.core.manifest import hash_bytes
from archivist.storage import open_store
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
from tests.storage.blobstore_contract import BlobStoreContract, Damage

MIB = 1024 * 1024


class TestS3ObjectBlobStoreContract(BlobStoreContract):
    @pytest.fixture
    def store(self, s3_url: str) -> ObjectBlobStore:
        return ObjectBlobStore(s3_url)

    @pytest.fixture
    def damage(self, s3_prefix: str) -> Damage:
        def put(digest: str, data: bytes) -> None:
            key = f"{s3_prefix}/{ObjectBlobStore.blob_key(digest)}"
            s3_client().put_object(Bucket=BUCKET, Key=key, Body=data)

        return put


class TestFileUrlObjectBlobStoreContract(BlobStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> ObjectBlobStore:
        return ObjectBlobStore(f"file://{tmp_path}/objects")

    @pytest.fixture
    def damage(self, tmp_path: Path) -> Damage:
        def write(digest: str, data: bytes) -> None:
            (tmp_path / "objects" / ObjectBlobStore.blob_key(digest)).write_bytes(data)

        return write


@pytest.fixture
def store(s3_url: str) -> ObjectBlobStore:
    return ObjectBlobStore(s3_url)


def test_blobs_live_under_the_url_prefix_in_fan_out_folders(store: ObjectBlobStore, s3_prefix: str) -> None:
    digest = hash_bytes(b"laid out")
    store.put_bytes(digest, b"laid out")
    assert keys_under(s3_prefix) == [f"blobs/{digest[:2]}/{digest[2:]}"]


def test_a_large_file_streams_as_a_multipart_upload_and_reads_back_in_chunks(
    store: ObjectBlobStore, s3_prefix: str, tmp_path: Path
) -> None:
    data = os.urandom(20 * MIB + 123)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    digest = hash_bytes(data)
    assert store.put_file(digest, str(source)) == len(data)
    head = s3_client().head_object(Bucket=BUCKET, Key=f"{s3_prefix}/{store.blob_key(digest)}")
    assert head["ETag"].endswith('-3"')  # three 8 MiB parts: it was streamed, not sent whole
    with store.open(digest) as reader:
        chunks = []
        while chunk := reader.read(3 * MIB):
            chunks.append(chunk)
    assert b"".join(chunks) == data


def test_a_large_file_that_does_not_match_its_digest_leaves_nothing_behind(
    store: ObjectBlobStore, s3_prefix: str, tmp_path: Path
) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(20 * MIB))
    claimed = hash_bytes(b"the weights the caller hashed earlier")
    with pytest.raises(FileChangedError, match=r"weights\.bin changed while it was being stored"):
        store.put_file(claimed, str(source))
    assert store.missing([claimed]) == {claimed}
    assert keys_under(s3_prefix) == []
    assert open_multipart_uploads(s3_prefix) == []  # the aborted upload left no parts


def test_missing_answers_many_digests_by_listing_and_by_heads(store: ObjectBlobStore) -> None:
    stored = [hash_bytes(f"blob {i}".encode()) for i in range(80)]
    for i, digest in enumerate(stored):
        store.put_bytes(digest, f"blob {i}".encode())
    absent = [hash_bytes(f"absent {i}".encode()) for i in range(70)]
    assert store.missing(stored + absent) == set(absent)  # >= 64 digests: one listing
    assert store.missing(stored[:5] + absent[:5]) == set(absent[:5])  # few digests: HEADs
    assert store._sizes_by_listing(set(stored), budget=10) is None  # listing too long: give up


def test_only_staging_keys_are_presigned_for_upload(store: ObjectBlobStore) -> None:
    digest = hash_bytes(b"x")
    with pytest.raises(InvalidInputError, match="only incoming/"):
        store.presign_upload(store.blob_key(digest), 60)
    with pytest.raises(InvalidInputError, match="upload id"):
        store.staging_key("../blobs", digest)


def test_a_folder_through_obstore_cannot_presign(tmp_path: Path) -> None:
    store = ObjectBlobStore(f"file://{tmp_path}/objects")
    assert not store.can_presign
    with pytest.raises(NotSupportedError, match="cannot presign"):
        store.presign_download(hash_bytes(b"x"), 60)


def test_gcs_and_azure_urls_presign_without_multipart() -> None:
    # Constructing a store makes no request; GCS and Azure get single presigned PUTs.
    gcs = ObjectBlobStore("gs://some-bucket/prefix")
    assert (gcs.can_presign, gcs.supports_multipart, gcs.upload_headers) == (True, False, {})
    with pytest.raises(NotSupportedError, match="only s3:// stores"):
        _ = gcs.multipart


# --- open_store --------------------------------------------------------------------------------


def test_open_store_dispatches_on_the_url(tmp_path: Path, s3_url: str) -> None:
    assert isinstance(open_store(str(tmp_path / "a")), LocalBlobStore)
    from_file_url = open_store(f"file://{tmp_path}/b")
    assert isinstance(from_file_url, LocalBlobStore)
    assert from_file_url.root == str(tmp_path / "b")
    object_store = open_store(s3_url)
    assert isinstance(object_store, ObjectBlobStore)
    assert object_store.url == s3_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/x", "unsupported store 'ftp://host/x': use a folder path, file:///path, s3://"),
        ("", "invalid store ''"),
        ("file://otherhost/x", "file:///path"),
        ("s3://", "names no bucket"),
    ],
)
def test_open_store_refuses_other_urls_naming_what_is_allowed(url: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace("/", "/")):
        open_store(url)


def test_a_missing_obstore_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "obstore", None)  # what an installation without it sees
    with pytest.raises(NotSupportedError, match=r"pip install 'archivist\[objectstore\]'"):
        open_store("s3://bucket/prefix")


def test_a_missing_boto3_package_names_the_install_command(
    store: ObjectBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(
        NotSupportedError, match=r"need the boto3 package: pip install 'archivist\[objectstore\]'"
    ):
        _ = store.multipart
