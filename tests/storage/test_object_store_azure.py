"""ObjectBlobStore on Azure blob storage (``az://container/prefix``), against Azurite on
loopback: the BlobStore contract, and presigned (SAS) uploads verified before promotion.
Azure has no presigned multipart here: every upload is one PUT."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import pytest

from archivist.core.errors import IntegrityError
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import TransferMode, TransferPolicy, UploadCompletion, UploadRequest
from archivist.service.transfers import complete_uploads, plan_downloads, plan_uploads
from archivist.storage.object_store import ObjectBlobStore
from tests.fixtures.emulators import azurite
from tests.fixtures.s3 import patched_environ
from tests.storage.blobstore_contract import BlobStoreContract, Damage

CONTAINER = "archivist-test"


@pytest.fixture(scope="module")
def azure_connection() -> Iterator[str]:
    """Azurite, with the AZURE_* variables obstore reads pointing at it, and one container;
    yields the connection string (to look behind the store's back)."""
    from azure.storage.blob import BlobServiceClient

    with azurite() as emulator:
        blob_service = emulator.endpoint.rsplit("/", 1)[0]
        env = {
            "AZURE_STORAGE_ACCOUNT_NAME": emulator.account,
            "AZURE_STORAGE_ACCOUNT_KEY": emulator.key,
            "AZURE_STORAGE_USE_EMULATOR": "true",
            "AZURITE_BLOB_STORAGE_URL": blob_service,
        }
        with patched_environ(env):
            BlobServiceClient.from_connection_string(emulator.connection_string).create_container(CONTAINER)
            yield emulator.connection_string


@pytest.fixture
def store(azure_connection: str) -> ObjectBlobStore:
    return ObjectBlobStore(f"az://{CONTAINER}/t-{uuid.uuid4().hex[:16]}")


class TestAzureObjectBlobStoreContract(BlobStoreContract):
    @pytest.fixture
    def damage(self, store: ObjectBlobStore, azure_connection: str) -> Damage:
        from azure.storage.blob import BlobServiceClient

        prefix = store.url.split(f"az://{CONTAINER}/", 1)[1]

        def put(digest: str, data: bytes) -> None:
            blob = BlobServiceClient.from_connection_string(azure_connection).get_blob_client(
                CONTAINER, f"{prefix}/{ObjectBlobStore.blob_key(digest)}"
            )
            blob.upload_blob(data, overwrite=True)

        return put


def test_a_presigned_upload_is_verified_then_promoted(store: ObjectBlobStore) -> None:
    data = os.urandom(200_000)
    policy = TransferPolicy(multipart_threshold=8 * 1024 * 1024)
    [target] = plan_uploads(store, [UploadRequest(hash_bytes(data), len(data))], policy)
    assert target.mode is TransferMode.PUT and target.headers == {"x-ms-blob-type": "BlockBlob"}
    assert target.url and target.upload_id
    httpx.put(target.url, content=data, headers=dict(target.headers)).raise_for_status()
    assert store.missing([target.digest]) == {target.digest}
    assert complete_uploads(store, [UploadCompletion(target.digest, target.upload_id)]) == [target.digest]
    [where] = plan_downloads(store, [target.digest])
    assert httpx.get(where.url or "").content == data
    assert list(store.iter_staged()) == []


def test_a_poisoned_presigned_upload_is_rejected(store: ObjectBlobStore) -> None:
    claimed = hash_bytes(b"genuine")
    [target] = plan_uploads(store, [UploadRequest(claimed, 7)])
    assert target.url and target.upload_id
    httpx.put(target.url, content=b"forged!", headers=dict(target.headers)).raise_for_status()
    with pytest.raises(IntegrityError, match=f"blob {claimed} was rejected"):
        complete_uploads(store, [UploadCompletion(claimed, target.upload_id)])
    assert store.missing([claimed]) == {claimed}
    assert list(store.iter_staged()) == []
