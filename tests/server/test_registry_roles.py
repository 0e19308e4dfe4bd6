"""SPEC §7's permission table, row by row, for a user in every registry role, on a server
over SQLite and over PostgreSQL.

The registry is restricted; its roles come from the registry itself (users added
directly, and teams whose members hold the team's registry role whatever their role in
the team), from the organization's entity, and from being the server's administrator.
The source versions live in a team none of the callers has a role in, so what they may
do with a link is decided by the registry through which they reach it. Each refusal
names the role the action needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.errors import (
    ArtifactNotFoundError,
    AuthenticationError,
    DownloadRefusedError,
    PermissionDeniedError,
)
from archivist.core.manifest import hash_bytes
from archivist.core.models import (
    CollectionUpdate,
    RunRef,
    RunSpec,
    VersionQuery,
    VersionRecord,
    VersionUpdate,
)
from archivist.core.registries import ORGANIZATION, REGISTRY_ROLES, RegistryUpdate
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server
from tests.metadata.postgres import temporary_database
from tests.server.conftest import _name

REVOKED, NONE, OTHER = "revoked", "none", "other-team"
R_VIEWER, VIEWER, MEMBER, ADMIN = "restricted-viewer", "viewer", "member", "admin"
TEAM_VIEWER, TEAM_MEMBER, MIXED = "team-viewer", "team-member", "mixed"
ORG_MEMBER, SERVER_ADMIN = "org-member", "server-admin"
CALLERS = (
    REVOKED,
    NONE,
    OTHER,
    R_VIEWER,
    VIEWER,
    MEMBER,
    ADMIN,
    TEAM_VIEWER,
    TEAM_MEMBER,
    MIXED,
    ORG_MEMBER,
    SERVER_ADMIN,
)
ROLE = {
    NONE: None,
    OTHER: None,
    R_VIEWER: "restricted_viewer",
    VIEWER: "viewer",
    MEMBER: "member",
    ADMIN: "admin",
    TEAM_VIEWER: "viewer",
    TEAM_MEMBER: "member",
    MIXED: "member",  # restricted_viewer of its own, member through its team: the highest
    ORG_MEMBER: "member",  # the organization's member, no role of the registry's own
    SERVER_ADMIN: "admin",
}
NEEDS = {
    "viewer": "needs viewer, member or admin",
    "member": "needs member or admin",
    "admin": "needs admin",
}


@dataclass
class Registry:
    server: ServerProcess
    admin: AdminClient
    name: str
    owner: HttpBackend
    source: VersionRecord
    link: VersionRecord
    secret: bytes
    keys: dict[str, str] = field(default_factory=dict)
    backends: dict[str, HttpBackend] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)

    @property
    def project(self) -> str:
        return f"wandb-registry-{self.name}"

    def fresh_link(self) -> VersionRecord:
        """A link of its own (in a collection of its own) for a call that changes or removes it."""
        return self.owner.link_version(self.source.id, self.name, _name("c"), ["staging"])


def _server(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp(f"roles-{kind}")
    if kind == "sqlite":
        with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "log") as server:
            yield server
        return
    with temporary_database() as url, archivist_server(url, root / "blobs", root / "log") as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def registry(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    for server in _server(request.param, tmp_path_factory):
        admin = AdminClient(server.url, ADMIN_KEY)
        owner = HttpBackend(server.url, ADMIN_KEY, retries=1)
        source_team, viewers, members, others = (_name(t) for t in ("src", "viewers", "members", "others"))
        for team in (source_team, viewers, members, others):
            admin.create_team(team)
        secret = f"the weights of {source_team}".encode()
        source = log_files(owner, "clf", {"w.bin": secret}, "model", entity=source_team).version
        name = _name("reg")
        owner.create_registry(name, "restricted", artifact_types=["model"])
        link = owner.link_version(source.id, name, "clf", ["production"])
        found = Registry(server, admin, name, owner, source, link, secret)
        owner.add_registry_members(name, [viewers, members])
        owner.update_registry_member(name, viewers, "viewer")
        owner.update_registry_member(name, members, "member")
        for caller in CALLERS:
            if caller == SERVER_ADMIN:
                found.keys[caller] = ADMIN_KEY
                continue
            created = admin.create_user(_name(caller))
            user = created.user.name
            found.keys[caller], found.users[caller] = created.key.key, user
            if caller in (R_VIEWER, VIEWER, MEMBER, ADMIN, MIXED):
                owner.add_registry_members(name, [user])
                owner.update_registry_member(
                    name, user, ROLE[caller] if caller != MIXED else "restricted_viewer"
                )
            team = {TEAM_VIEWER: viewers, TEAM_MEMBER: members, MIXED: members, OTHER: others}.get(caller)
            if team is not None:
                admin.set_member(team, user, "viewer")  # the role in the team does not matter
            if caller == ORG_MEMBER:
                admin.set_member(ORGANIZATION, user, "member")
            if caller == REVOKED:
                owner.add_registry_members(name, [user])
                owner.update_registry_member(name, user, "admin")
                admin.revoke_key(created.key.record.id)
        found.backends = {c: HttpBackend(server.url, k, retries=1) for c, k in found.keys.items()}
        yield found
        for backend in found.backends.values():
            backend.close()
        owner.close()
        admin.close()


def _expect(
    registry: Registry, caller: str, least: str, action: Callable[[], Any], *, by_id: bool = False
) -> Any:
    """Run ``action`` as ``caller``: it succeeds when the caller's role is ``least`` or higher,
    else it is refused naming the role held and the role needed. Without a role, a registry
    named is refused; a link named by its id (``by_id``) is not found, like one that is not
    there."""
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            action()
        return None
    role = ROLE[caller]
    if role is None and by_id:
        with pytest.raises(ArtifactNotFoundError, match="not found"):
            action()
        return None
    if role is None:
        with pytest.raises(PermissionDeniedError, match=f"has no role in registry '{registry.name}'"):
            action()
        return None
    if REGISTRY_ROLES.index(role) < REGISTRY_ROLES.index(least):
        refused = DownloadRefusedError if least == "viewer" else PermissionDeniedError
        with pytest.raises(refused, match=f"is a {role} of registry '{registry.name}'; .*{NEEDS[least]}"):
            action()
        return None
    return action()


def _blob_status(registry: Registry, caller: str) -> int:
    headers = {"Authorization": f"Bearer {registry.keys[caller]}"}
    url = f"{registry.server.url}/api/v1/blobs/{hash_bytes(registry.secret)}"
    return httpx.get(url, headers=headers).status_code


# --- view collections/versions/settings, search: every role -----------------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_viewing_needs_any_role(registry: Registry, caller: str) -> None:
    backend = registry.backends[caller]
    assert _expect(registry, caller, "restricted_viewer", lambda: backend.get_registry(registry.name)) in (
        None,
        registry.owner.get_registry(registry.name),
    )
    link = _expect(
        registry,
        caller,
        "restricted_viewer",
        lambda: backend.resolve_version(ORGANIZATION, registry.project, "clf", "production"),
    )
    if link is None:
        if caller != REVOKED:
            assert registry.name not in [r.name for r in backend.list_registries()]
        return
    assert link.id == registry.link.id and link.source.id == registry.source.id  # type: ignore[union-attr]
    assert registry.name in [r.name for r in backend.list_registries({"name": registry.name})]
    assert [
        c.name for c in backend.list_collections(ORGANIZATION, registry.project, None, {"name": "clf"})
    ] == ["clf"]
    query = VersionQuery(ORGANIZATION, registry.project, "clf", filter={"alias": "production"})
    assert [v.id for v in backend.list_versions(query)] == [registry.link.id]
    assert registry.link.id in [v.id for v in backend.list_registry_versions(registry.name)]
    assert len(backend.list_registry_members(registry.name)) >= 4
    assert backend.registry_role(registry.name) == ROLE[caller]


# --- use_artifact, download files: viewer and above ------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_downloading_and_using_need_viewer(registry: Registry, caller: str) -> None:
    backend = registry.backends[caller]
    allowed = _expect(
        registry, caller, "viewer", lambda: backend.check_download(registry.link.id) or True, by_id=True
    )
    if caller != REVOKED:
        assert _blob_status(registry, caller) == (200 if allowed else 404)
    if caller in (REVOKED, SERVER_ADMIN):
        return
    run = RunRef(registry.users[caller], "uses", _name("run"))  # a run of their own entity
    backend.upsert_run(RunSpec(run))
    _expect(registry, caller, "viewer", lambda: backend.record_use(run, registry.link.id), by_id=True)


# --- create collection, edit descriptions, tags, aliases, link versions: member and above ----


@pytest.mark.parametrize("caller", CALLERS)
def test_linking_and_editing_need_member(registry: Registry, caller: str) -> None:
    backend = registry.backends[caller]
    collection = _name("new")
    least = "member" if ROLE.get(caller) != "restricted_viewer" else "viewer"  # linking opens files: it
    # needs download first, so a restricted viewer is refused that
    linked = _expect(
        registry,
        caller,
        least,
        lambda: backend.link_version(registry.link.id, registry.name, collection),
        by_id=True,
    )
    if linked is not None:
        assert linked.source.id == registry.source.id  # type: ignore[union-attr]
    fresh = registry.fresh_link()
    update = CollectionUpdate(description="mine", tags=["t"])
    if _expect(
        registry,
        caller,
        "member",
        lambda: backend.update_collection(ORGANIZATION, registry.project, fresh.collection, update),
    ):
        assert (
            registry.owner.get_collection(ORGANIZATION, registry.project, fresh.collection).description
            == "mine"
        )
    moved = _expect(
        registry,
        caller,
        "member",
        lambda: backend.update_version(fresh.id, VersionUpdate(aliases=["best"])),
        by_id=True,
    )
    assert moved is None or "best" in moved.aliases


# --- delete collection, unlink: member and above ----------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_unlinking_and_deleting_collections_need_member(registry: Registry, caller: str) -> None:
    backend = registry.backends[caller]
    link, collection = registry.fresh_link(), registry.fresh_link()
    _expect(
        registry,
        caller,
        "member",
        lambda: backend.delete_version(link.id, delete_aliases=True) or True,
        by_id=True,
    )
    _expect(
        registry,
        caller,
        "member",
        lambda: backend.delete_collection(ORGANIZATION, registry.project, collection.collection) or True,
    )
    assert registry.owner.get_version(registry.source.id).id == registry.source.id  # the source stays


# --- accepted types, visibility, members and roles: admin ------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_settings_and_members_need_admin(registry: Registry, caller: str) -> None:
    backend = registry.backends[caller]
    extra = _name("type")
    types = [*registry.owner.get_registry(registry.name).artifact_types, extra]
    grown = _expect(
        registry,
        caller,
        "admin",
        lambda: backend.update_registry(registry.name, RegistryUpdate(artifact_types=types)),
    )
    assert grown is None or extra in grown.artifact_types
    team = _name("added")
    registry.admin.create_team(team)
    if _expect(registry, caller, "admin", lambda: backend.add_registry_members(registry.name, [team])):
        _expect(
            registry, caller, "admin", lambda: backend.update_registry_member(registry.name, team, "viewer")
        )
        _expect(registry, caller, "admin", lambda: backend.remove_registry_members(registry.name, [team]))
    else:
        registry.owner.add_registry_members(registry.name, [team])
        _expect(
            registry, caller, "admin", lambda: backend.update_registry_member(registry.name, team, "viewer")
        )
        _expect(registry, caller, "admin", lambda: backend.remove_registry_members(registry.name, [team]))
        held = {m.name: m.role for m in registry.owner.list_registry_members(registry.name)}
        assert held[team] == "restricted_viewer"  # the refused calls changed nothing


def test_a_registry_visible_to_the_organization_gives_everyone_restricted_viewer(registry: Registry) -> None:
    """Everyone reads it, nobody downloads from it or links into it without a role; creating
    a registry needs member in the organization, and its creator is its admin."""
    open_name = _name("open")
    registry.owner.create_registry(open_name, "organization", artifact_types=["model"])
    link = registry.owner.link_version(registry.source.id, open_name, "clf")
    outsider = registry.backends[NONE]
    assert outsider.get_version(link.id).id == link.id
    with pytest.raises(DownloadRefusedError, match=f"is a restricted_viewer of registry '{open_name}'"):
        outsider.check_download(link.id)
    with pytest.raises(
        PermissionDeniedError, match="is a restricted_viewer of registry .*needs member or admin"
    ):
        outsider.update_version(link.id, VersionUpdate(aliases=["mine"]))
    with pytest.raises(PermissionDeniedError, match="has no role in registry"):
        outsider.create_registry(_name("mine"), "restricted")
    creator = registry.backends[ORG_MEMBER]
    made = creator.create_registry(_name("made"), "restricted")
    assert [(m.name, m.role) for m in creator.list_registry_members(made.name)] == [
        (registry.users[ORG_MEMBER], "admin")
    ]
    assert creator.update_registry(made.name, RegistryUpdate(description="d")).description == "d"
