"""Whether one principal holds the rights a call declares (``archivist.core.access``).

``Access`` answers for one request: the principal's roles are read once and kept for
the request. A version's entity is read from the database (the row the canonical id
names), so the right is checked on the entity the object really belongs to. A version
the caller may not read is answered as not found, exactly like one that does not exist;
an entity named in a request that the caller has no role in is refused with
``PermissionDeniedError``.

Inside the organization's entity each project is a registry, and the role there is the
registry's (``registry_role``): the highest of the registry's own role of the user or of a
team of theirs, the role in the organization's entity, and restricted_viewer for every
user when the registry is visible to the whole organization (``service.registry_roles``).
A restricted viewer reads metadata only: the ``download`` right (files, use as a run's
input) needs viewer or above there, while in any other entity every role holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select

from archivist.core.access import (
    ANY_USER,
    SERVER,
    SOME_ENTITY,
    Entity,
    Everyone,
    Need,
    Node,
    Registry,
    Right,
    argument,
)
from archivist.core.accounts import ADMIN, VIEWER, WRITE_ROLES
from archivist.core.api import needs_of as declared_needs
from archivist.core.errors import ArtifactNotFoundError, DownloadRefusedError, PermissionDeniedError
from archivist.core.ids import parse_version_id, split_run_path
from archivist.core.models import VersionState
from archivist.core.registries import ORGANIZATION, REGISTRY_ROLES, RESTRICTED_VIEWER, registry_of_project
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import collections, entities, entity_members, projects, versions
from archivist.service.accounts import Principal
from archivist.service.registry_roles import RegistryRole, roles_of_user

_NEEDED = {Right.READ: "reading needs any role", Right.WRITE: "writing needs member or admin"}
_LEAST_REGISTRY_ROLE = {
    Right.READ: RESTRICTED_VIEWER,
    Right.DOWNLOAD: VIEWER,
    Right.WRITE: "member",
    Right.MANAGE: ADMIN,
}
_REGISTRY_NEEDED = {
    Right.DOWNLOAD: "downloading or using its versions needs viewer, member or admin",
    Right.WRITE: "this needs member or admin",
    Right.MANAGE: "this needs admin",
}


class Access:
    """What ``principal`` may do; ask with ``require(call, arguments)``."""

    def __init__(self, engine: Engine, principal: Principal) -> None:
        self.engine = engine
        self.principal = principal
        self._roles: dict[str, str] | None = None
        self._registry_roles: dict[str, RegistryRole] | None = None

    @property
    def user(self) -> str:
        return self.principal.name

    @property
    def sees_everything(self) -> bool:
        """A server administrator: every entity, every blob."""
        return self.principal.is_admin

    def roles(self) -> dict[str, str]:
        """The principal's role per entity name (read once per ``Access``)."""
        if self._roles is None:
            statement = (
                select(entities.c.name, entity_members.c.role)
                .join(entity_members, entity_members.c.entity_id == entities.c.id)
                .where(entity_members.c.user_id == self.principal.user_id)
            )
            with read_transaction(self.engine) as connection:
                self._roles = {row.name: row.role for row in connection.execute(statement)}
        return self._roles

    def role(self, entity: str, project: str | None = None) -> str | None:
        """The role in ``entity``; in the organization's entity, the role in the registry
        ``project`` names."""
        if self.sees_everything:
            return ADMIN
        registry = registry_of_project(project)
        if entity == ORGANIZATION and registry is not None:
            return self.registry_role(registry)
        return self.roles().get(entity)

    def registry_role(self, registry: str) -> str | None:
        """The role in a registry (see the module docstring); for a registry that does not
        exist, the role in the organization (who may create it)."""
        if self.sees_everything:
            return ADMIN
        found = self.registry_roles().get(registry.lower())
        return self.roles().get(ORGANIZATION) if found is None else found.role

    def registry_roles(self) -> dict[str, RegistryRole]:
        """The principal's role in every registry, by folded name (read once per ``Access``)."""
        if self._registry_roles is None:
            with read_transaction(self.engine) as connection:
                self._registry_roles = roles_of_user(
                    connection, self.principal.user_id, self.user, self.roles().get(ORGANIZATION)
                )
        return self._registry_roles

    def registry_projects(self, least: str) -> list[int]:
        """The projects of the registries where the principal holds ``least`` or a higher role."""
        rank = REGISTRY_ROLES.index(least)
        return [
            found.project_id
            for found in self.registry_roles().values()
            if found.role is not None and REGISTRY_ROLES.index(found.role) >= rank
        ]

    def can_read(self, entity: str, project: str | None = None) -> bool:
        return self.role(entity, project) is not None

    def require(self, call: str, arguments: Mapping[str, Any]) -> None:
        """Raise unless the principal holds every need ``call`` declares."""
        for need in declared_needs(call):
            self._require(need, arguments)

    def _require(self, need: Need, arguments: Mapping[str, Any]) -> None:
        target = need.target
        if isinstance(target, Everyone):
            self._require_everyone(target)
            return
        value = argument(arguments, target.arg)
        if value is None and need.optional:
            return
        if isinstance(target, Entity):
            self.require_entity(need.right, value, argument(arguments, _sibling_project(target.arg)))
            return
        if isinstance(target, Registry):
            self.require_registry(need.right, value)
            return
        if isinstance(target, Node):
            run_path = split_run_path(value) if isinstance(value, str) else None
            if run_path is not None:
                self.require_entity(need.right, run_path[0], run_path[1])
                return
        self.require_entity(need.right, *self.version_scope(value))

    def _require_everyone(self, target: Everyone) -> None:
        if target is ANY_USER or self.sees_everything:
            return
        if target is SERVER:
            raise PermissionDeniedError(
                f"user {self.user!r} may not do this: that needs a server administrator"
            )
        assert target is SOME_ENTITY, target
        if not any(role in WRITE_ROLES for role in self.roles().values()):
            raise PermissionDeniedError(
                f"user {self.user!r} may not upload: that needs the member or admin role in some entity"
            )

    def require_registry(self, right: Right, registry: object) -> None:
        role = self.registry_role(registry) if isinstance(registry, str) else None
        if role is None:
            raise PermissionDeniedError(
                f"user {self.user!r} has no role in registry {registry!r}; a registry admin can add "
                "them, or a team of theirs, with Registry.add_members"
            )
        least = _LEAST_REGISTRY_ROLE[right]
        if REGISTRY_ROLES.index(role) >= REGISTRY_ROLES.index(least):
            return
        refused = DownloadRefusedError if right is Right.DOWNLOAD else PermissionDeniedError
        raise refused(f"user {self.user!r} is a {role} of registry {registry!r}; {_REGISTRY_NEEDED[right]}")

    def require_entity(self, right: Right, entity: object, project: object = None) -> None:
        registry = registry_of_project(project)
        if entity == ORGANIZATION and registry is not None:
            self.require_registry(right, registry)
            return
        role = self.role(entity) if isinstance(entity, str) else None
        if role is None:
            raise PermissionDeniedError(
                f"user {self.user!r} has no role in entity {entity!r}; "
                "an admin can add them with 'archivist team add'"
            )
        if right in (Right.READ, Right.DOWNLOAD) or (right is Right.WRITE and role in WRITE_ROLES):
            return
        if role == ADMIN:
            return
        needed = _NEEDED.get(right, "managing it needs admin")
        raise PermissionDeniedError(f"user {self.user!r} is a {role} of entity {entity!r}; {needed}")

    def version_scope(self, version_id: object) -> tuple[str, str]:
        """The entity and project holding the live version ``version_id`` names;
        ``ArtifactNotFoundError`` when there is none or the caller may not read it (the two
        are not told apart)."""
        key = parse_version_id(version_id)
        statement = (
            select(entities.c.name, projects.c.name)
            .select_from(versions)
            .join(collections, collections.c.id == versions.c.collection_id)
            .join(projects, projects.c.id == collections.c.project_id)
            .join(entities, entities.c.id == projects.c.entity_id)
            .where(versions.c.id == key, versions.c.state != VersionState.DELETED.value)
        )
        with read_transaction(self.engine) as connection:
            row = connection.execute(statement).first()
        if row is None or not self.can_read(row[0], row[1]):
            raise ArtifactNotFoundError(f"artifact version {version_id!r} not found")
        return row[0], row[1]


def _sibling_project(entity_arg: str) -> str:
    """The argument naming the project beside an entity argument (``query.entity`` ->
    ``query.project``)."""
    head, _, _ = entity_arg.rpartition(".")
    return f"{head}.project" if head else "project"
