"""The identity every run object shares (live ``Run`` and ``PublicRun``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist.core.models import RunRef
from archivist.wire.ui_paths import absolute, run_url

if TYPE_CHECKING:
    from archivist.sdk.context import Context


class RunIdentity:
    _ref: RunRef
    _ctx: Context

    @property
    def id(self) -> str:
        return self._ref.run_id

    @property
    def entity(self) -> str:
        return self._ref.entity

    @property
    def project(self) -> str:
        return self._ref.project

    @property
    def ref(self) -> RunRef:
        """The run's key in the store."""
        return self._ref

    @property
    def context(self) -> Context:
        """The context the run reads and writes through."""
        return self._ctx

    @property
    def url(self) -> str | None:
        """The run's page in the web UI (``archivist server``, or ``archivist ui`` at its
        default address for the embedded store); None for a disabled run."""
        if self._ctx is None:
            return None
        return absolute(self._ctx.settings.base_url, run_url(self._ref))
