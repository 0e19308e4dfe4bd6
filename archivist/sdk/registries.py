"""``Registry``: W&B's registry object, and the Api calls that create, list and fetch
registries (``core.registries``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from archivist.core.errors import InvalidInputError
from archivist.core.models import VersionQuery, VersionRecord
from archivist.core.registries import (
    ORGANIZATION,
    REGISTRY_PREFIX,
    RegistryRecord,
    RegistryUpdate,
    validate_registry_name,
)
from archivist.core.registry_filters import parse_registry_filter, validate_page
from archivist.sdk.artifact import Artifact
from archivist.sdk.artifact_collections import ArtifactCollection, Artifacts
from archivist.sdk.registry_members import (
    Member,
    MemberOrName,
    MemberRole,
    TeamMember,
    UserMember,
    member_name,
    member_names,
    member_of,
    role_value,
)

if TYPE_CHECKING:
    from archivist.sdk.context import Context

_Record = TypeVar("_Record")


class AcceptedTypes(list[str]):
    """A registry's accepted types: append before or after ``save()``; a type already saved
    cannot be removed (SPEC §7)."""

    def __init__(self, saved: tuple[str, ...]) -> None:
        super().__init__(saved)
        self._saved = set(saved)

    def _refuse(self, value: object) -> None:
        if value in self._saved:
            raise InvalidInputError(
                f"artifact type {value!r} is saved as accepted by the registry; accepted types can be "
                "added, never removed"
            )

    def remove(self, value: str) -> None:
        self._refuse(value)
        super().remove(value)

    def pop(self, index: Any = -1) -> str:
        self._refuse(self[index])
        return super().pop(index)

    def clear(self) -> None:
        for value in self:
            self._refuse(value)
        super().clear()


class Registry:
    """One registry: its settings, collections and linked versions."""

    def __init__(self, ctx: Context, record: RegistryRecord) -> None:
        self._ctx = ctx
        self._load(record)

    def _load(self, record: RegistryRecord) -> None:
        self._record = record
        self.description = record.description
        self.visibility = record.visibility.value
        self.allow_all_artifact_types = record.allow_all_artifact_types
        self.artifact_types = AcceptedTypes(record.artifact_types)

    name = property(lambda self: self._record.name)
    full_name = property(lambda self: self._record.project)
    organization = property(lambda self: ORGANIZATION)
    entity = property(lambda self: self._record.entity)
    created_at = property(lambda self: self._record.created_at)
    updated_at = property(lambda self: self._record.updated_at)

    def load(self) -> Registry:
        self._load(self._ctx.backend.get_registry(self.name))
        return self

    def save(self) -> None:
        """Save the description, visibility and accepted types (added ones only)."""
        update = RegistryUpdate(
            description=self.description,
            visibility=self.visibility,
            artifact_types=list(self.artifact_types),
            allow_all_artifact_types=self.allow_all_artifact_types,
        )
        self._load(self._ctx.backend.update_registry(self.name, update))

    def delete(self) -> None:
        self._ctx.backend.delete_registry(self.name)

    @property
    def protected_aliases(self) -> dict[str, str | None]:
        """The registry's protected aliases, each with its promotion rule (None: no rule).
        Only registry admins give them to versions or take them away; a version holding one
        is unlinked only by an admin, and its source is deleted by nobody."""
        return {protected.alias: protected.rule for protected in self._record.protected_aliases}

    def protect_alias(self, alias: str, rule: str | None = None) -> None:
        """Protect ``alias`` now (a registry admin), with an optional promotion rule such as
        ``"summary.accuracy >= 0.92 and metadata.framework == 'torch'"``; protecting it again
        replaces the rule."""
        self._record = self._ctx.backend.protect_alias(self.name, alias, rule)

    def unprotect_alias(self, alias: str) -> None:
        """Stop protecting ``alias`` now (a registry admin); versions holding it keep it."""
        self._record = self._ctx.backend.unprotect_alias(self.name, alias)

    def collections(self, filter: dict[str, Any] | None = None, per_page: int = 100) -> Collections:
        """The registry's collections, by name; ``filter`` (run by the database) on name,
        description, tag, type, created_at; fetched ``per_page`` at a time."""
        from archivist.sdk import upward_calls

        parse_registry_filter("collection", filter)
        ctx, project = self._ctx, self.full_name
        records = _paged(
            lambda offset, limit: ctx.backend.list_collections(
                ORGANIZATION, project, None, filter, offset, limit
            ),
            validate_page(per_page),
        )
        return Collections(ctx, [upward_calls.collection(ctx, record) for record in records])

    def versions(self, filter: dict[str, Any] | None = None, per_page: int = 100) -> Artifacts:
        """The linked versions of every collection, by collection then newest first; ``filter``
        (run by the database, one statement a page) on alias, tag, version, type, collection,
        created_at, metadata.<key>."""
        parse_registry_filter("version", filter)
        ctx, name = self._ctx, self.name
        records = _paged(
            lambda offset, limit: ctx.backend.list_registry_versions(name, filter, offset, limit),
            validate_page(per_page),
        )
        return Artifacts([Artifact.from_record(ctx, record) for record in records])

    # --- members and roles (``sdk.registry_members``; managing them needs admin) ----------
    def members(self) -> list[Member]:
        """The users and teams holding a role of the registry's own (not the organization's)."""
        return [member_of(record) for record in self._ctx.backend.list_registry_members(self.name)]

    def user_members(self) -> list[UserMember]:
        return [member for member in self.members() if isinstance(member, UserMember)]

    def team_members(self) -> list[TeamMember]:
        return [member for member in self.members() if isinstance(member, TeamMember)]

    def add_members(self, *members: MemberOrName) -> Registry:
        """Give users or teams the default role (restricted_viewer); change it with
        ``update_member``. Members already there keep their role."""
        self._ctx.backend.add_registry_members(self.name, member_names(members))
        return self

    def remove_members(self, *members: MemberOrName) -> Registry:
        self._ctx.backend.remove_registry_members(self.name, member_names(members))
        return self

    def update_member(self, member: MemberOrName, role: MemberRole | str) -> Registry:
        """Set a member's role: ``admin``, ``member``, ``viewer`` or ``restricted_viewer``."""
        self._ctx.backend.update_registry_member(self.name, member_name(member), role_value(role))
        return self

    def __repr__(self) -> str:
        return f"<Registry {self.name} visibility={self.visibility}>"


class Collections(list[ArtifactCollection]):
    """Registry collections (a list) whose linked versions ``versions(filter)`` lists."""

    def __init__(self, ctx: Context, items: list[ArtifactCollection]) -> None:
        super().__init__(items)
        self._ctx = ctx

    def versions(self, filter: dict[str, Any] | None = None, per_page: int = 100) -> Artifacts:
        parse_registry_filter("version", filter)
        size = validate_page(per_page)
        found: list[Artifact] = []
        for collection in self:
            query = VersionQuery(collection.entity, collection.project, collection.name, filter=filter or {})
            found.extend(Artifact.from_record(self._ctx, record) for record in self._pages(query, size))
        return Artifacts(found)

    def _pages(self, query: VersionQuery, per_page: int) -> Iterator[VersionRecord]:
        backend = self._ctx.backend
        return _paged(
            lambda offset, limit: backend.list_versions(replace(query, offset=offset, limit=limit)), per_page
        )


class Registries(list[Registry]):
    """Registries (a list); ``collections(filter)`` and ``versions(filter)`` look inside all
    of them, as W&B's ``api.registries().collections().versions()`` does."""

    def __init__(self, ctx: Context, items: list[Registry]) -> None:
        super().__init__(items)
        self._ctx = ctx

    def collections(self, filter: dict[str, Any] | None = None, per_page: int = 100) -> Collections:
        return Collections(
            self._ctx, [c for registry in self for c in registry.collections(filter, per_page)]
        )

    def versions(self, filter: dict[str, Any] | None = None, per_page: int = 100) -> Artifacts:
        return self.collections().versions(filter, per_page)


def _paged(fetch: Callable[[int, int], list[_Record]], per_page: int) -> Iterator[_Record]:
    """Every record of a listing, fetched a page of ``per_page`` at a time (W&B's paged
    iteration); a short page is the last."""
    offset = 0
    while True:
        page = fetch(offset, per_page)
        yield from page
        if len(page) < per_page:
            return
        offset += per_page


def registry_name(name: object) -> str:
    """A registry name, given bare or as its project ``wandb-registry-<name>``."""
    if isinstance(name, str) and name.startswith(REGISTRY_PREFIX):
        name = name[len(REGISTRY_PREFIX) :]
    return validate_registry_name(name)


def create_registry(
    ctx: Context,
    name: str,
    visibility: str,
    description: str | None = None,
    artifact_types: list[str] | None = None,
) -> Registry:
    types = list(artifact_types or ())
    record = ctx.backend.create_registry(
        registry_name(name), visibility, description, types, allow_all_artifact_types=not types
    )
    return Registry(ctx, record)


def list_registries(ctx: Context, filter: dict[str, Any] | None = None, per_page: int = 100) -> Registries:
    """The registries the caller may read, ``filter`` (on name, description, visibility,
    created_at) run by the database, fetched ``per_page`` at a time."""
    parse_registry_filter("registry", filter)
    records = _paged(
        lambda offset, limit: ctx.backend.list_registries(filter, offset, limit), validate_page(per_page)
    )
    return Registries(ctx, [Registry(ctx, record) for record in records])


def get_registry(ctx: Context, name: str) -> Registry:
    return Registry(ctx, ctx.backend.get_registry(registry_name(name)))
