"""Choosing the Backend and the BlobTransfer for a process's settings."""

from __future__ import annotations

import os
from collections.abc import Callable

from archivist.core.backend import Backend
from archivist.core.blob_cache import BlobCacheOpener
from archivist.core.blob_transfer import BlobTransfer
from archivist.core.settings import Settings


def open_client(
    settings: Settings, cache: BlobCacheOpener, notice: Callable[[str], None] | None = None
) -> tuple[Backend, BlobTransfer]:
    """A server when ARCHIVIST_BASE_URL (or a saved ``archivist login``) names one, its
    downloads going through the client cache ``cache()`` gives; else the embedded store
    under ``settings.home`` (which needs no cache: its blobs are on this machine).

    The key is ARCHIVIST_API_KEY, else the one saved for that server by ``archivist login``.
    ``notice`` is told when calls to the server are being retried (once per outage).
    """
    base_url, api_key = server_settings(settings)
    if base_url is None:
        from archivist.service.embedded import open_embedded

        return open_embedded(settings)
    from archivist.client.http import HttpBackend
    from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer

    backend = HttpBackend(
        base_url, api_key, journal_dir=os.path.join(settings.cache_dir, "upload-journal"), notice=notice
    )
    return backend, HttpBlobTransfer(backend, cache)


def client_cache(settings: Settings) -> BlobCacheOpener:
    """The client cache the settings name (``cache_dir``, ``cache_limit``), made when first asked for.
    It is a folder blob store, so the service layer opens it: ``client/`` does not import ``storage/``."""
    from archivist.service.cache_opening import cache_opener

    return cache_opener(settings.cache_dir, settings.cache_limit)


def server_settings(settings: Settings) -> tuple[str | None, str | None]:
    """(base URL, API key) of the server to use; (None, None) for the embedded store."""
    base_url, api_key = settings.base_url, settings.api_key
    if settings.config_dir is None or (base_url is not None and api_key is not None):
        return base_url, api_key
    from archivist.client.credentials import credentials_path, load_credentials

    saved = load_credentials(credentials_path(settings.config_dir))
    base_url = base_url or saved.base_url
    if base_url is None:
        return None, None
    return base_url, api_key or saved.key_for(base_url)
