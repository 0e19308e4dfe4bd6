"""Azure blob references: ``https://<account>.blob.core.windows.net/<container>/<blob>[?versionId=...]``
(or ``az://<container>/<blob>`` with the account in ``AZURE_STORAGE_ACCOUNT_NAME``; entries
record the public URL form either way).

Blobs are read with obstore, whose credential chain covers the usual Azure
sources: ``AZURE_STORAGE_ACCOUNT_KEY``, ``AZURE_STORAGE_SAS_TOKEN``, a service
principal (``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``/``AZURE_TENANT_ID``),
workload and managed identity. ``AZURE_STORAGE_ENDPOINT`` sends the requests
elsewhere (Azurite, a private endpoint) while references keep their public URL.
Finding an older version by ETag needs a versions listing, which obstore
lacks: azure-storage-blob does just that.
"""

from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from archivist.core.errors import CommError, InvalidInputError, PathNotFoundError
from archivist.sdk.references.base import first_line, missing_package, strip_etag
from archivist.sdk.references.objects import ObjectLocation, ObjectStoreReferenceHandler
from archivist.sdk.references.obstore_bucket import ObstoreBucket, import_obstore, retry_config
from archivist.sdk.references.uris import environment, version_in_query

HOST_SUFFIX = ".blob.core.windows.net"
_ENDPOINT_VARIABLES = ("AZURE_STORAGE_ENDPOINT", "AZURE_ENDPOINT")
_HINT = (
    "credentials come from AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN, a service principal "
    "(AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID) or a managed identity; check them "
    "and AZURE_STORAGE_ENDPOINT"
)


def is_azure_url(uri: str) -> bool:
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    return scheme == "az" or (scheme == "https" and (parts.hostname or "").endswith(HOST_SUFFIX))


def parse_azure_uri(uri: str) -> ObjectLocation:
    """The public URL form, or ``az://<container>/<blob>`` with the account from
    ``AZURE_STORAGE_ACCOUNT_NAME`` (as ``archivist server --store az://...`` reads it)."""
    parts = urlsplit(uri)
    if parts.scheme.lower() == "az":
        account = os.environ.get("AZURE_STORAGE_ACCOUNT_NAME", "")
        if not account:
            raise InvalidInputError(
                f"Azure reference {uri!r} names no account: set AZURE_STORAGE_ACCOUNT_NAME or write "
                "https://<account>.blob.core.windows.net/<container>/<blob or prefix>"
            )
        container, key = parts.netloc, parts.path.lstrip("/")
    else:
        account = (parts.hostname or "")[: -len(HOST_SUFFIX)]
        container, _, key = parts.path.lstrip("/").partition("/")
    if not account or not container:
        raise InvalidInputError(
            f"Azure reference {uri!r} names no container; use "
            "https://<account>.blob.core.windows.net/<container>/<blob or prefix>"
        )
    version = version_in_query(uri, parts.query, "Azure", " (SAS tokens go in AZURE_STORAGE_SAS_TOKEN)")
    return ObjectLocation(bucket=f"{account}/{container}", key=unquote(key), version=version)


def azure_uri(bucket: str, key: str) -> str:
    account, container = bucket.split("/", 1)
    return f"https://{account}{HOST_SUFFIX}/{container}/{quote(key, safe='/')}"


def open_azure_bucket(bucket: str) -> ObstoreBucket:
    return _open(bucket, environment("AZURE_"))


@functools.lru_cache(maxsize=32)
def _open(bucket: str, azure_environment: tuple[tuple[str, str], ...]) -> ObstoreBucket:
    import_obstore("Azure blob references", "azure")
    from obstore.store import AzureStore

    environ = dict(azure_environment)
    account, container = bucket.split("/", 1)
    endpoint = next((environ[name] for name in _ENDPOINT_VARIABLES if environ.get(name)), None)
    store = AzureStore(
        container,
        account_name=account,
        client_options={"allow_http": bool(endpoint and endpoint.startswith("http://"))},
        retry_config=retry_config(),  # type: ignore[arg-type]
    )
    return ObstoreBucket(
        store,
        describe=f"Azure container {container!r} of account {account!r}",
        uri_of=functools.partial(azure_uri, bucket),
        find_version=_VersionFinder(account, container, endpoint, environ),
        hint=_HINT,
    )


class _VersionFinder:
    """Looks through a container's blob versions for one with a given ETag (azure-storage-blob)."""

    def __init__(self, account: str, container: str, endpoint: str | None, environ: dict[str, str]) -> None:
        self._account = account
        self._container = container
        self._account_url = endpoint or f"https://{account}{HOST_SUFFIX}"
        self._environ = environ

    def __call__(self, key: str, etag: str) -> str | None:
        try:
            from azure.core.exceptions import AzureError, ResourceNotFoundError
            from azure.storage.blob import ContainerClient
        except ImportError:
            raise missing_package(
                "azure-storage-blob", "azure", "finding an older version of an Azure blob"
            ) from None
        client = ContainerClient(self._account_url, self._container, credential=self._credential())
        try:
            for blob in client.list_blobs(name_starts_with=key, include=["versions"]):
                if blob.name == key and blob.version_id and strip_etag(blob.etag) == etag:
                    return str(blob.version_id)
        except ResourceNotFoundError:
            raise PathNotFoundError(
                f"Azure container {self._container!r} of account {self._account!r} does not exist"
            ) from None
        except AzureError as error:
            raise CommError(f"cannot list versions of {key!r}: {first_line(error)}") from None
        return None

    def _credential(self) -> Any:
        key = self._environ.get("AZURE_STORAGE_ACCOUNT_KEY") or self._environ.get("AZURE_STORAGE_ACCESS_KEY")
        if key:
            return {"account_name": self._account, "account_key": key}
        sas = self._environ.get("AZURE_STORAGE_SAS_TOKEN") or self._environ.get("AZURE_STORAGE_SAS_KEY")
        if sas:
            return sas
        try:
            from azure.identity import DefaultAzureCredential
        except ImportError:
            return None
        return DefaultAzureCredential()


AZURE_HANDLER = ObjectStoreReferenceHandler("azure", parse_azure_uri, azure_uri, open_azure_bucket)
