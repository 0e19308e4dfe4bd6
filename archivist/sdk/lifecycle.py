"""Deleting, restoring and expiring from the SDK: ``Api`` calls (restore a deleted version,
list deleted ones, delete a project, the team default TTL and who may set TTLs, the sweep)
and ``Retention``, a collection's retention rule (``collection.retention = Retention(keep_last=5)``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError
from archivist.core.lifecycle import RetentionRule, SweepReport
from archivist.core.paths import parse_artifact_path, parse_project_path
from archivist.sdk.artifact import Artifact
from archivist.sdk.context import Context


@dataclass(frozen=True)
class Retention:
    """Keep only the last ``keep_last`` versions and/or those younger than ``max_age``;
    versions holding an alias other than ``latest``, linked to a registry, or used by a run
    that logged a kept version are always kept. The sweep soft-deletes the rest."""

    keep_last: int | None = None
    max_age: dt.timedelta | None = None

    def rule(self) -> RetentionRule:
        if self.max_age is not None and not isinstance(self.max_age, dt.timedelta):
            raise InvalidInputError(f"max_age must be a datetime.timedelta or None, got {self.max_age!r}")
        seconds = None if self.max_age is None else int(self.max_age.total_seconds())
        return RetentionRule(self.keep_last, seconds)

    @classmethod
    def from_rule(cls, rule: RetentionRule | None) -> Retention | None:
        if rule is None:
            return None
        age = None if rule.max_age_seconds is None else dt.timedelta(seconds=rule.max_age_seconds)
        return cls(rule.keep_last, age)


def _ttl_seconds(ttl: dt.timedelta | None) -> int | None:
    if ttl is None:
        return None
    if not isinstance(ttl, dt.timedelta) or ttl.total_seconds() < 1:
        raise InvalidInputError(f"invalid default TTL {ttl!r}: use a positive datetime.timedelta or None")
    return int(ttl.total_seconds())


class LifecycleCalls:
    """The lifecycle calls of ``archivist.Api`` (mixed in; ``_ctx`` is the Api's context)."""

    _ctx: Context

    def restore_artifact(self, name: str) -> Artifact:
        """Restore the soft-deleted version ``[entity/][project/]name:vN`` (until the collector
        purges it); returns it, committed again under its number."""
        path = parse_artifact_path(name).with_defaults(self._ctx.entity, self._ctx.project)
        if path.version is None:
            raise InvalidInputError(f"restore needs a version number, as in '{path.name}:v3'; got {name!r}")
        assert path.entity is not None and path.project is not None
        record = self._ctx.backend.restore_version(path.entity, path.project, path.name, path.version)
        return Artifact.from_record(self._ctx, record)

    def deleted_artifacts(self, name: str | None = None, project: str | None = None) -> list[Artifact]:
        """Soft-deleted versions not purged yet, most recently deleted first: of the collection
        ``name`` (``[entity/][project/]name``), else of the whole ``project``."""
        if name is not None:
            path = parse_artifact_path(name).with_defaults(self._ctx.entity, self._ctx.project)
            assert path.entity is not None and path.project is not None
            entity, project_name, collection = path.entity, path.project, path.name
        else:
            (entity, project_name), collection = self._project_of(project), None
        records = self._ctx.backend.list_deleted_versions(entity, project_name, collection)
        return [Artifact.from_record(self._ctx, record) for record in records]

    def delete_project(self, project: str) -> None:
        """Soft-delete every collection of ``[entity/]project`` and hide it; its versions stay
        restorable one by one until purged (entity admins)."""
        self._ctx.backend.delete_project(*self._project_of(project))

    def set_default_ttl(self, ttl: dt.timedelta | None, entity: str | None = None) -> None:
        """The team default TTL (None: none): versions whose TTL is ``ArtifactTTL.INHERIT``
        expire that long after their creation (entity admins)."""
        self._ctx.backend.set_default_ttl(entity or self._ctx.entity, _ttl_seconds(ttl))

    def default_ttl(self, entity: str | None = None) -> dt.timedelta | None:
        seconds = self._ctx.backend.get_default_ttl(entity or self._ctx.entity)
        return None if seconds is None else dt.timedelta(seconds=seconds)

    def set_ttl_editors(self, editors: str, entity: str | None = None) -> None:
        """Who may set TTLs of the team's versions: ``"admins"`` or ``"members"`` (admins and
        members, the default); entity admins. A TTL someone else sets does not apply."""
        self._ctx.backend.set_ttl_editors(entity or self._ctx.entity, editors)

    def ttl_editors(self, entity: str | None = None) -> str:
        """``"admins"`` or ``"members"``: who may set TTLs of the team's versions."""
        return self._ctx.backend.get_ttl_editors(entity or self._ctx.entity)

    def sweep(
        self, entity: str | None = None, dry_run: bool = False, as_of: dt.datetime | None = None
    ) -> SweepReport:
        """Soft-delete the entity's expired versions and those retention rules let go (the
        collector does this on its own; entity admins)."""
        moment = None if as_of is None else as_of.isoformat()
        return self._ctx.backend.sweep(entity or self._ctx.entity, dry_run, moment)

    def _project_of(self, project: str | None) -> tuple[str, str]:
        if project is None:
            return self._ctx.entity, self._ctx.project
        entity, name = parse_project_path(project)
        return entity or self._ctx.entity, name
