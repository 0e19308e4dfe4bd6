"""Backend contract: a registry's members and their roles (SPEC §7).

Members are users or teams named by their entity; the contract uses the entity it logs
into (a team on the embedded store, where there are no users; on a server too, as the
server's admin made it by logging) and the backend's default entity (a user on a server).
On a server the creator of a registry is its admin member; the embedded store's user is
admin of everything and is nobody's member.
"""

from __future__ import annotations

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError, NotFoundError
from archivist.core.registries import ORGANIZATION, MemberKind, RegistryMember
from tests.client.artifact_logging import ENTITY, log_text


def _others(backend: Backend, members: list[RegistryMember]) -> list[tuple[str, MemberKind, str]]:
    """The members but the creator (the server's admin; none on the embedded store)."""
    return [(m.name, m.kind, m.role) for m in members if m.name != backend.default_entity()]


class RegistryMemberContract:
    def test_members_are_added_changed_and_removed(self, backend: Backend) -> None:
        log_text(backend, "clf", "w", type_name="model")  # the entity exists from now on
        backend.create_registry("crew", "restricted")
        assert _others(backend, backend.list_registry_members("crew")) == []
        added = backend.add_registry_members("crew", [ENTITY])
        assert _others(backend, added) == [(ENTITY, MemberKind.TEAM, "restricted_viewer")]
        again = backend.add_registry_members("crew", [ENTITY], "admin")  # a member keeps its role
        assert _others(backend, again) == [(ENTITY, MemberKind.TEAM, "restricted_viewer")]
        changed = backend.update_registry_member("crew", ENTITY, "member")
        assert (changed.name, changed.kind, changed.role) == (ENTITY, MemberKind.TEAM, "member")
        listed = backend.list_registry_members("Crew")  # names match whatever their case
        assert _others(backend, listed) == [(ENTITY, MemberKind.TEAM, "member")]
        assert _others(backend, backend.remove_registry_members("crew", [ENTITY])) == []
        with pytest.raises(NotFoundError, match=f"'{ENTITY}' is not a member of registry 'crew'"):
            backend.update_registry_member("crew", ENTITY, "viewer")
        with pytest.raises(NotFoundError, match=f"'{ENTITY}' is not a member of registry 'crew'"):
            backend.remove_registry_members("crew", [ENTITY])

    def test_a_server_user_who_creates_a_registry_is_its_admin(self, backend: Backend) -> None:
        created = backend.create_registry("mine", "organization")
        members = backend.list_registry_members(created.name)
        mine = [m for m in members if m.name == backend.default_entity()]
        assert mine in ([], [RegistryMember(backend.default_entity(), MemberKind.USER, "admin")])

    def test_bad_members_and_roles_are_named_and_change_nothing(self, backend: Backend) -> None:
        log_text(backend, "clf", "w", type_name="model")
        backend.create_registry("strict", "restricted")
        before = backend.list_registry_members("strict")
        with pytest.raises(InvalidInputError, match="invalid registry role 'owner'.*restricted_viewer"):
            backend.add_registry_members("strict", [ENTITY], "owner")
        with pytest.raises(NotFoundError, match="no user or team named 'nobody-here'"):
            backend.add_registry_members("strict", [ENTITY, "nobody-here"])
        for padded in (f" {ENTITY}", f"{ENTITY} ", ENTITY.upper()):  # a name is matched exactly
            with pytest.raises(NotFoundError, match=f"no user or team named '{padded}'"):
                backend.add_registry_members("strict", [padded])
        with pytest.raises(InvalidInputError, match="'organization' cannot be a member"):
            backend.add_registry_members("strict", [ORGANIZATION])
        with pytest.raises(InvalidInputError, match="list of user or team names|valid list"):
            backend.add_registry_members("strict", ENTITY)  # type: ignore[arg-type]
        with pytest.raises(NotFoundError, match="registry 'nowhere' not found"):
            backend.list_registry_members("nowhere")
        assert backend.list_registry_members("strict") == before

    def test_deleting_a_registry_forgets_its_members(self, backend: Backend) -> None:
        log_text(backend, "clf", "w", type_name="model")
        backend.create_registry("brief", "restricted")
        backend.add_registry_members("brief", [ENTITY], "viewer")
        backend.delete_registry("brief")
        backend.create_registry("brief", "restricted")
        assert _others(backend, backend.list_registry_members("brief")) == []

    def test_the_callers_role_is_admin_for_the_store_and_the_servers_admin(self, backend: Backend) -> None:
        assert backend.registry_role("model") == "admin"
        backend.create_registry("Roles", "restricted")
        assert backend.registry_role("roles") == "admin"
        with pytest.raises(NotFoundError, match="registry 'nowhere' not found"):
            backend.registry_role("nowhere")

    def test_check_download_answers_for_a_version_and_a_link(self, backend: Backend) -> None:
        source = log_text(backend, "clf", "w", type_name="model").version
        link = backend.link_version(source.id, "model", "clf")
        assert backend.check_download(source.id) is None
        assert backend.check_download(link.id) is None
        with pytest.raises(ArtifactNotFoundError):
            backend.check_download("987654")
