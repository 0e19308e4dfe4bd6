"""The SDK's context: settings, the Backend, the BlobTransfer and the local caches,
shared by runs, artifacts and the query API of one process."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archivist.core.settings import DEFAULT_PROJECT, Settings
from archivist.sdk.termlog import apply_settings

if TYPE_CHECKING:
    from archivist.core.backend import Backend
    from archivist.core.blob_cache import BlobCache, BlobCacheOpener
    from archivist.core.blob_transfer import BlobTransfer
    from archivist.sdk.stat_cache import StatCache


@dataclass
class Context:
    settings: Settings
    backend: Backend
    transfer: BlobTransfer
    cache: BlobCacheOpener
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stat_cache: StatCache | None = field(default=None, repr=False)
    _entity: str | None = field(default=None, repr=False)

    @property
    def entity(self) -> str:
        """The default entity: ARCHIVIST_ENTITY, else the backend's default."""
        if self._entity is None:
            self._entity = self.settings.entity or self.backend.default_entity()
        return self._entity

    @property
    def project(self) -> str:
        return self.settings.project or DEFAULT_PROJECT

    @property
    def stat_cache(self) -> StatCache:
        with self._lock:
            if self._stat_cache is None:
                from archivist.sdk.stat_cache import StatCache

                os.makedirs(self.settings.cache_dir, exist_ok=True)
                self._stat_cache = StatCache(os.path.join(self.settings.cache_dir, "statcache.sqlite"))
            return self._stat_cache

    @property
    def client_cache(self) -> BlobCache:
        return self.cache()

    def close(self) -> None:
        """Close the transfer, the backend and the stat cache, if it was opened."""
        self.transfer.close()
        self.backend.close()
        if self._stat_cache is not None:
            self._stat_cache.close()


def open_context(settings: Settings) -> Context:
    """A new context: the Backend and BlobTransfer the settings name (``open_client``).
    In mode 'disabled' that is a throwaway embedded store (``throwaway_settings``)."""
    from archivist.client.factory import client_cache, open_client
    from archivist.sdk.termlog import termlog

    if settings.mode == "disabled":
        settings = throwaway_settings(settings)
    cache = client_cache(settings)
    backend, transfer = open_client(settings, cache, notice=None if settings.silent else termlog)
    return Context(settings=settings, backend=backend, transfer=transfer, cache=cache)


def throwaway_settings(settings: Settings) -> Settings:
    """Mode 'disabled' (W&B's WANDB_MODE=disabled): drafts built outside a run still hash
    and hold their files, in an embedded store in a temporary folder removed at exit, so
    nothing reaches the configured store, server or login."""
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="archivist-disabled-")
    atexit.register(shutil.rmtree, folder, True)
    return settings.evolve(
        home=folder,
        cache_dir=os.path.join(folder, "cache"),
        base_url=None,
        api_key=None,
        config_dir=None,
        run_dir=None,
    )


_contexts: dict[Settings, Context] = {}
_contexts_lock = threading.Lock()


def get_context(settings: Settings | None = None) -> Context:
    """The process-wide context for these settings (built from the environment by default)."""
    settings = settings or Settings.from_env()
    apply_settings(settings.silent)
    with _contexts_lock:
        ctx = _contexts.get(settings)
        if ctx is None:
            ctx = open_context(settings)
            _contexts[settings] = ctx
        return ctx


def forget_contexts() -> None:
    """Forget the contexts without closing them (runs keep using theirs): the next
    ``get_context`` opens what the settings and the login file name now (``login``)."""
    with _contexts_lock:
        _contexts.clear()


def reset_contexts() -> None:
    """Close every backend and forget the contexts (tests, and ``archivist.teardown``)."""
    with _contexts_lock:
        for ctx in _contexts.values():
            ctx.close()
        _contexts.clear()
