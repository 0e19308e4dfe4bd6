"""Who may do what with registries and links on a server, caller by caller: no key, a
revoked key, a user with no role, a member of another team, the organization's viewer,
member and admin, and the server administrator; in a registry visible to the whole
organization and in a restricted one.

Here the callers' roles come from the organization's entity (the registry's own roles,
given to users and teams, are tests/server/test_registry_roles.py); every user is a
restricted viewer of a registry visible to the organization: they read its metadata, not
its files. A link counts as a version a viewer (or above) may read: the source's blobs are
readable through it, and only its blobs (not those of the source's other versions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.errors import (
    ArtifactNotFoundError,
    AuthenticationError,
    DownloadRefusedError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from archivist.core.manifest import hash_bytes
from archivist.core.models import VersionQuery, VersionRecord
from archivist.core.registries import ORGANIZATION, LinkOrigin, RegistryUpdate
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess
from tests.server.conftest import _name

ANONYMOUS, REVOKED, NONE, OTHER = "anonymous", "revoked", "none", "other-team"
VIEWER, MEMBER, ADMIN, SERVER_ADMIN = "org-viewer", "org-member", "org-admin", "server-admin"
CALLERS = (REVOKED, NONE, OTHER, VIEWER, MEMBER, ADMIN, SERVER_ADMIN)


@dataclass
class Org:
    server: ServerProcess
    admin: AdminClient
    team: str
    keys: dict[str, str] = field(default_factory=dict)
    backends: dict[str, HttpBackend] = field(default_factory=dict)
    source: VersionRecord | None = None
    sibling: VersionRecord | None = None
    open_registry: str = ""
    closed_registry: str = ""

    def secret(self, which: str) -> bytes:
        return f"{which} of {self.team}".encode()


@pytest.fixture(scope="module")
def org(server: ServerProcess, admin: AdminClient) -> Iterator[Org]:
    team, other_team = _name("team"), _name("other")
    admin.create_team(team)
    admin.create_team(other_team)
    found = Org(server, admin, team)
    for caller, role in ((VIEWER, "viewer"), (MEMBER, "member"), (ADMIN, "admin")):
        created = admin.create_user(_name(caller))
        admin.set_member(ORGANIZATION, created.user.name, role)
        admin.set_member(team, created.user.name, "viewer")  # they may read the source versions
        found.keys[caller] = created.key.key
    for caller in (NONE, OTHER, REVOKED):
        created = admin.create_user(_name(caller))
        found.keys[caller] = created.key.key
        if caller == OTHER:
            admin.set_member(other_team, created.user.name, "admin")
        if caller == REVOKED:
            admin.set_member(ORGANIZATION, created.user.name, "admin")
            admin.revoke_key(created.key.record.id)
    found.keys[SERVER_ADMIN] = ADMIN_KEY
    found.backends = {caller: HttpBackend(server.url, key, retries=1) for caller, key in found.keys.items()}
    owner = found.backends[SERVER_ADMIN]
    found.source = log_files(owner, "clf", {"w.bin": found.secret("linked")}, "model", entity=team).version
    found.sibling = log_files(owner, "clf", {"w.bin": found.secret("sibling")}, "model", entity=team).version
    found.open_registry, found.closed_registry = _name("open"), _name("closed")
    owner.create_registry(found.open_registry, "organization", artifact_types=["model"])
    owner.create_registry(found.closed_registry, "restricted", artifact_types=["model"])
    for registry in (found.open_registry, found.closed_registry):
        owner.link_version(found.source.id, registry, "clf", ["production"])
    yield found
    for backend in found.backends.values():
        backend.close()


def _blob_status(org: Org, caller: str, data: bytes) -> int:
    headers = {"Authorization": f"Bearer {org.keys[caller]}"}
    return httpx.get(f"{org.server.url}/api/v1/blobs/{hash_bytes(data)}", headers=headers).status_code


def _user(org: Org, caller: str) -> str:
    answer = httpx.get(
        f"{org.server.url}/api/v1/identity", headers={"Authorization": f"Bearer {org.keys[caller]}"}
    )
    return str(answer.json()["user"])


def _project(registry: str) -> str:
    return f"wandb-registry-{registry}"


@pytest.mark.parametrize("caller", CALLERS)
def test_reading_a_registry_visible_to_the_organization(org: Org, caller: str) -> None:
    backend = org.backends[caller]
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            backend.get_registry(org.open_registry)
        return
    assert backend.get_registry(org.open_registry).name == org.open_registry
    link = backend.resolve_version(ORGANIZATION, _project(org.open_registry), "clf", "production")
    assert link.source is not None and link.source.id == org.source.id  # type: ignore[union-attr]
    assert org.open_registry in [r.name for r in backend.list_registries()]
    # the linked version's bytes are readable through the link by viewers; its sibling's are not
    viewers = (VIEWER, MEMBER, ADMIN, SERVER_ADMIN)
    assert _blob_status(org, caller, org.secret("linked")) == (200 if caller in viewers else 404)
    if caller not in viewers:  # restricted viewers: the link's metadata, not its files
        with pytest.raises(DownloadRefusedError, match="is a restricted_viewer of registry .*needs viewer"):
            backend.check_download(link.id)
    sibling = 200 if caller in (VIEWER, MEMBER, ADMIN, SERVER_ADMIN) else 404  # team viewers read it anyway
    assert _blob_status(org, caller, org.secret("sibling")) == sibling


@pytest.mark.parametrize("caller", CALLERS)
def test_reading_a_restricted_registry_needs_a_role_in_the_organization(org: Org, caller: str) -> None:
    backend = org.backends[caller]
    project = _project(org.closed_registry)
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            backend.resolve_version(ORGANIZATION, project, "clf", "production")
        return
    if caller in (NONE, OTHER):
        with pytest.raises(PermissionDeniedError, match=f"no role in registry '{org.closed_registry}'"):
            backend.get_registry(org.closed_registry)
        with pytest.raises(PermissionDeniedError, match="no role in registry"):
            backend.resolve_version(ORGANIZATION, project, "clf", "production")
        assert org.closed_registry not in [r.name for r in backend.list_registries()]
        return
    assert backend.get_registry(org.closed_registry).visibility.value == "restricted"
    assert backend.resolve_version(ORGANIZATION, project, "clf", "production").collection == "clf"


def test_a_restricted_link_opens_no_blob_to_outsiders(org: Org) -> None:
    """The source is linked into both registries; the outsiders read its blob through the open
    one only. A source linked only into the restricted registry stays hidden from them."""
    owner = org.backends[SERVER_ADMIN]
    hidden = log_files(owner, "hidden", {"h.bin": org.secret("hidden")}, "model", entity=org.team).version
    owner.link_version(hidden.id, org.closed_registry, "hidden")
    for caller in (NONE, OTHER):
        assert _blob_status(org, caller, org.secret("hidden")) == 404
    assert _blob_status(org, VIEWER, org.secret("hidden")) == 200


@pytest.mark.parametrize("caller", CALLERS)
def test_linking_needs_member_of_the_registry_and_reading_the_source(org: Org, caller: str) -> None:
    backend = org.backends[caller]
    collection = _name("linked")
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            backend.link_version(org.source.id, org.open_registry, collection)  # type: ignore[union-attr]
        return
    call = lambda: backend.link_version(org.source.id, org.open_registry, collection)  # type: ignore[union-attr]  # noqa: E731
    if caller in (NONE, OTHER):  # they may not read the source version: it does not exist for them
        with pytest.raises(ArtifactNotFoundError):
            call()
    elif caller == VIEWER:
        with pytest.raises(PermissionDeniedError, match="is a viewer of registry .*needs member or admin"):
            call()
    else:
        assert call().collection == collection


def test_another_team_links_its_own_version_only_as_a_member_of_the_organization(org: Org) -> None:
    theirs = org.backends[SERVER_ADMIN]
    own_team = _name("own")
    org.admin.create_team(own_team)
    user = org.admin.create_user(_name("linker"))
    org.admin.set_member(own_team, user.user.name, "member")
    linker = HttpBackend(org.server.url, user.key.key, retries=1)
    version = log_files(
        linker, "mine", {"m.bin": b"mine " + own_team.encode()}, "model", entity=own_team
    ).version
    with pytest.raises(
        PermissionDeniedError, match="is a restricted_viewer of registry .*needs member or admin"
    ):
        linker.link_version(version.id, org.open_registry, "mine")
    org.admin.set_member(ORGANIZATION, user.user.name, "member")
    assert linker.link_version(version.id, org.open_registry, "mine").source.id == version.id  # type: ignore[union-attr]
    assert theirs.get_registry(org.open_registry).name == org.open_registry
    linker.close()


@pytest.mark.parametrize("caller", CALLERS)
def test_creating_registries_needs_member_and_changing_and_deleting_them_admin(org: Org, caller: str) -> None:
    backend = org.backends[caller]
    name = _name("made")
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            backend.create_registry(name, "organization")
        return
    if caller == MEMBER:  # the organization's member creates it and is its admin from then on
        backend.create_registry(name, "restricted")
        assert backend.update_registry(name, RegistryUpdate(description="d")).description == "d"
        assert [(m.name, m.role) for m in backend.list_registry_members(name)] == [
            (_user(org, MEMBER), "admin")
        ]
        backend.delete_registry(name)
        return
    if caller not in (ADMIN, SERVER_ADMIN):
        with pytest.raises(PermissionDeniedError, match="needs member or admin|no role in registry"):
            backend.create_registry(name, "organization")
        with pytest.raises(PermissionDeniedError, match="needs admin|no role in registry"):
            backend.update_registry(org.open_registry, RegistryUpdate(description="mine"))
        with pytest.raises(PermissionDeniedError, match="needs admin|no role in registry"):
            backend.delete_registry(org.open_registry)
        assert org.backends[SERVER_ADMIN].get_registry(org.open_registry).description is None
        return
    backend.create_registry(name, "organization")
    assert backend.update_registry(name, RegistryUpdate(description="d")).description == "d"
    backend.delete_registry(name)
    with pytest.raises(NotFoundError):
        backend.get_registry(name)


def test_unlinking_needs_member_and_leaves_the_source(org: Org) -> None:
    owner = org.backends[SERVER_ADMIN]
    link = owner.link_version(org.sibling.id, org.open_registry, _name("unlink"))  # type: ignore[union-attr]
    with pytest.raises(PermissionDeniedError, match="is a viewer of registry"):
        org.backends[VIEWER].delete_version(link.id, delete_aliases=True)
    with pytest.raises(PermissionDeniedError):
        org.backends[NONE].delete_version(link.id, delete_aliases=True)
    org.backends[MEMBER].delete_version(link.id, delete_aliases=True)
    assert owner.get_version(org.sibling.id).id == org.sibling.id  # type: ignore[union-attr]


def test_nobody_commits_into_a_registry_project(org: Org) -> None:
    with pytest.raises(InvalidInputError, match="are registries"):
        log_files(
            org.backends[ADMIN],
            "sneak",
            {"s.bin": b"s"},
            "model",
            entity=ORGANIZATION,
            project=_project(org.open_registry),
        )


def test_no_user_or_team_may_take_the_organizations_name(org: Org) -> None:
    from archivist.core.errors import ConflictError

    with pytest.raises(ConflictError, match="'organization' already exists"):
        org.admin.create_user(ORGANIZATION)


# --- a bare target's link, read back from the project it was linked from ---------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_a_link_origin_needs_write_in_its_entity(org: Org, caller: str) -> None:
    """The origin makes the link readable from ``team/project``: only a member of the team
    may name it (the organization's member and admin are the team's viewers here)."""
    backend = org.backends[caller]
    origin = LinkOrigin(org.team, _name("proj"))
    call = lambda: backend.link_version(org.source.id, "model", _name("bare"), [], origin)  # type: ignore[union-attr]  # noqa: E731
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            call()
    elif caller in (NONE, OTHER):
        with pytest.raises(ArtifactNotFoundError):
            call()
    elif caller == VIEWER:
        with pytest.raises(PermissionDeniedError, match="is a viewer of registry 'model'"):
            call()
    elif caller in (MEMBER, ADMIN):
        with pytest.raises(PermissionDeniedError, match=f"is a viewer of entity '{org.team}'"):
            call()
    else:
        linked = call()
        assert linked.project == _project("model")
        assert backend.resolve_version(org.team, origin.project, linked.collection, "v0").id == linked.id


def test_a_link_origin_that_is_padded_foreign_or_malformed_is_refused(org: Org) -> None:
    owner, member = org.backends[SERVER_ADMIN], org.backends[MEMBER]
    source = org.source.id  # type: ignore[union-attr]
    refused = [_name("bad") for _ in range(3)]
    bad_origins = (LinkOrigin(f" {org.team}", "p"), LinkOrigin(org.team, " p"), LinkOrigin("a/b", "p"))
    for collection, bad in zip(refused, bad_origins, strict=True):
        with pytest.raises(InvalidInputError):
            owner.link_version(source, "model", collection, [], bad)
    with pytest.raises(PermissionDeniedError, match="no role in entity"):
        member.link_version(source, "model", _name("foreign"), [], LinkOrigin(_name("nowhere"), "p"))
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for origin in (f"{org.team}/p", {"entity": org.team}, [org.team, "p"]):
        body = {"version_id": source, "registry": "model", "collection": _name("shape"), "origin": origin}
        answer = httpx.post(f"{org.server.url}/api/v1/links/create", json=body, headers=headers)
        assert answer.status_code in (400, 422), (origin, answer.text)
        assert answer.json()["error"]["code"] == "invalid_input", answer.text
    held = {c.name for c in owner.list_collections(ORGANIZATION, _project("model"))}
    assert held.isdisjoint(refused)  # a refused origin leaves no link behind


@pytest.mark.parametrize("caller", CALLERS)
def test_a_bare_targets_link_is_read_from_its_project_by_those_who_may_read_it(org: Org, caller: str) -> None:
    owner, backend = org.backends[SERVER_ADMIN], org.backends[caller]
    project, name = _name("proj"), _name("Bare Model")
    linked = owner.link_version(org.source.id, "model", name, ["staging"], LinkOrigin(org.team, project))  # type: ignore[union-attr]
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            backend.resolve_version(org.team, project, name, "staging")
        return
    if caller in (NONE, OTHER):  # the same answer as for a name nothing linked
        with pytest.raises(PermissionDeniedError) as linked_name:
            backend.resolve_version(org.team, project, name, "staging")
        with pytest.raises(PermissionDeniedError) as other_name:
            backend.resolve_version(org.team, project, _name("nothing"), "staging")
        assert str(linked_name.value) == str(other_name.value)
        assert "wandb-registry" not in str(linked_name.value)
        return
    found = backend.resolve_version(org.team, project, name, "staging")
    assert (found.id, found.project) == (linked.id, _project("model"))
    assert found.source is not None and found.source.id == org.source.id  # type: ignore[union-attr]
    with pytest.raises(ArtifactNotFoundError) as elsewhere:  # another project: not found there
        backend.resolve_version(org.team, _name("other"), name, "staging")
    assert "wandb-registry" not in str(elsewhere.value)


@pytest.mark.parametrize("caller", CALLERS)
def test_filtered_pages_hold_only_what_the_caller_may_read(org: Org, caller: str) -> None:
    """A filter naming both registries, one per page: outsiders get the open one only, on
    the first page, and the restricted one's collections and versions are refused to them."""
    backend = org.backends[caller]
    both = {"name": {"$in": [org.open_registry, org.closed_registry]}}
    closed = _project(org.closed_registry)
    query = VersionQuery(ORGANIZATION, closed, "clf", filter={"alias": "production"})
    if caller == REVOKED:
        with pytest.raises(AuthenticationError):
            backend.list_registries(both, 0, 1)
        return
    pages = [[r.name for r in backend.list_registries(both, offset, 1)] for offset in (0, 1, 2)]
    if caller in (NONE, OTHER):
        assert pages == [[org.open_registry], [], []]
        with pytest.raises(PermissionDeniedError, match="no role in registry"):
            backend.list_collections(ORGANIZATION, closed, None, {"name": "clf"})
        with pytest.raises(PermissionDeniedError, match="no role in registry"):
            backend.list_versions(query)
        with pytest.raises(PermissionDeniedError, match="no role in registry"):
            backend.list_registry_versions(org.closed_registry, {"alias": "production"}, 0, 1)
        assert [
            v.collection for v in backend.list_registry_versions(org.open_registry, {"alias": "production"})
        ] == ["clf"]
        return
    assert pages == [
        sorted([org.open_registry, org.closed_registry])[0:1],
        sorted([org.open_registry, org.closed_registry])[1:2],
        [],
    ]
    assert [c.name for c in backend.list_collections(ORGANIZATION, closed, None, {"name": "clf"})] == ["clf"]
    assert [v.version for v in backend.list_versions(query)] == ["v0"]
    assert [
        v.version for v in backend.list_registry_versions(org.closed_registry, {"alias": "production"})
    ] == ["v0"]
