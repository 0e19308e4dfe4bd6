"""The identity every run object shares (live ``Run`` and ``PublicRun``)."""

from __future__ import annotations

from archivist.core.models import RunRef


class RunIdentity:
    _ref: RunRef

    @property
    def id(self) -> str:
        return self._ref.run_id

    @property
    def entity(self) -> str:
        return self._ref.entity

    @property
    def project(self) -> str:
        return self._ref.project
