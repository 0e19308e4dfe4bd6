"""Protected aliases and promotion rules on a server, caller by caller: no key (a revoked
key), a user with no role, a member of another team, the organization's viewer, member and
admin (the registry roles), and the server administrator.

Only a registry admin declares protected aliases, gives one to a version or takes it away,
overrides a promotion rule, and unlinks a protected version; nobody deletes the source of a
protected version until the alias is removed. Refusals name the alias and the role needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.errors import (
    ArchivistError,
    ArtifactNotFoundError,
    AuthenticationError,
    PermissionDeniedError,
    PromotionRuleError,
    ProtectedAliasError,
)
from archivist.core.models import RunRef, RunSpec, RunUpdate, VersionUpdate
from archivist.core.registries import ORGANIZATION
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess
from tests.server.conftest import _name

REVOKED, NONE, OTHER = "revoked", "none", "other-team"
VIEWER, MEMBER, ADMIN, SERVER_ADMIN = "org-viewer", "org-member", "org-admin", "server-admin"
CALLERS = (REVOKED, NONE, OTHER, VIEWER, MEMBER, ADMIN, SERVER_ADMIN)
REGISTRY_ADMINS = (ADMIN, SERVER_ADMIN)
RULE = "summary.accuracy >= 0.92"


@dataclass
class Org:
    admin: AdminClient
    team: str
    users: dict[str, str] = field(default_factory=dict)
    backends: dict[str, HttpBackend] = field(default_factory=dict)

    @property
    def owner(self) -> HttpBackend:
        return self.backends[SERVER_ADMIN]

    def registry(self, rule: str | None = None) -> str:
        """A registry visible to the organization, protecting ``production`` (with ``rule``)."""
        name = _name("reg")
        self.owner.create_registry(name, "organization", artifact_types=["model"])
        self.owner.protect_alias(name, "production", rule)
        return name

    def model(self, accuracy: float = 0.95) -> str:
        """A model version of the team logged by a run with ``accuracy`` in its summary."""
        run = RunRef(self.team, "proj", _name("run"))
        self.owner.upsert_run(RunSpec(ref=run))
        self.owner.update_run(run, RunUpdate(summary={"accuracy": accuracy}))
        files = {"w.bin": _name("weights").encode()}
        return log_files(self.owner, "clf", files, "model", entity=self.team, run=run).version.id


@pytest.fixture(scope="module")
def org(server: ServerProcess, admin: AdminClient) -> Iterator[Org]:
    team, other_team = _name("team"), _name("other")
    admin.create_team(team)
    admin.create_team(other_team)
    found = Org(admin, team)
    keys = {SERVER_ADMIN: ADMIN_KEY}
    for caller, role in ((VIEWER, "viewer"), (MEMBER, "member"), (ADMIN, "admin")):
        created = admin.create_user(_name(caller))
        admin.set_member(ORGANIZATION, created.user.name, role)
        admin.set_member(team, created.user.name, role)  # the team's role matches: sources are theirs
        keys[caller], found.users[caller] = created.key.key, created.user.name
    for caller in (NONE, OTHER, REVOKED):
        created = admin.create_user(_name(caller))
        keys[caller], found.users[caller] = created.key.key, created.user.name
        if caller == OTHER:
            admin.set_member(other_team, created.user.name, "admin")
        if caller == REVOKED:
            admin.set_member(ORGANIZATION, created.user.name, "admin")
            admin.revoke_key(created.key.record.id)
    found.backends = {caller: HttpBackend(server.url, key, retries=1) for caller, key in keys.items()}
    yield found
    for backend in found.backends.values():
        backend.close()


def _outcomes(org: Org, attempt: Callable[[HttpBackend, str], Any]) -> dict[str, str]:
    """What each caller got: 'ok' or the error class with its message."""
    found = {}
    for caller in CALLERS:
        try:
            attempt(org.backends[caller], caller)
            found[caller] = "ok"
        except ArchivistError as error:
            found[caller] = f"{type(error).__name__}: {error}"
    return found


def _expect(found: dict[str, str], allowed: tuple[str, ...], refusals: dict[str, tuple[type, str]]) -> None:
    """``allowed`` succeed; every other caller gets the class and message part ``refusals`` names
    (REVOKED: unauthenticated, unless named)."""
    wrong = []
    for caller, outcome in found.items():
        if caller in allowed:
            expected = "ok"
        else:
            cls, part = refusals.get(caller, (AuthenticationError, ""))
            expected = f"{cls.__name__}: "
            if not outcome.startswith(expected) or part not in outcome:
                wrong.append(f"{caller}: {outcome!r}, expected {expected}...{part}")
            continue
        if outcome != expected:
            wrong.append(f"{caller}: {outcome!r}, expected ok")
    assert not wrong, "\n".join(wrong)


NEEDS_ADMIN = (PermissionDeniedError, "this needs admin")
WRITE_NEEDED = (PermissionDeniedError, "this needs member or admin")


def test_declaring_and_removing_protected_aliases_needs_a_registry_admin(org: Org) -> None:
    names = {caller: org.registry() for caller in CALLERS}
    found = _outcomes(org, lambda backend, caller: backend.protect_alias(names[caller], "staging", RULE))
    refusals = {caller: NEEDS_ADMIN for caller in (NONE, OTHER, VIEWER, MEMBER)}
    _expect(found, REGISTRY_ADMINS, refusals)
    for caller in CALLERS:
        assert [p.alias for p in org.owner.get_registry(names[caller]).protected_aliases] == (
            ["production", "staging"] if caller in REGISTRY_ADMINS else ["production"]
        )
    found = _outcomes(org, lambda backend, caller: backend.unprotect_alias(names[caller], "production"))
    _expect(found, REGISTRY_ADMINS, refusals)
    seen = _outcomes(org, lambda backend, caller: backend.get_registry(names[caller]).protected_aliases)
    _expect(seen, tuple(c for c in CALLERS if c != REVOKED), {})  # every user reads them


def test_only_a_registry_admin_gives_a_protected_alias_by_linking(org: Org) -> None:
    registry, sources = org.registry(), {caller: org.model() for caller in CALLERS}
    found = _outcomes(
        org, lambda backend, caller: backend.link_version(sources[caller], registry, "clf", ["production"])
    )
    _expect(
        found,
        REGISTRY_ADMINS,
        {
            NONE: (ArtifactNotFoundError, "not found"),  # they may not read the team's version
            OTHER: (ArtifactNotFoundError, "not found"),
            VIEWER: (PermissionDeniedError, "this needs member or admin"),
            MEMBER: (
                PermissionDeniedError,
                f"user {org.users[MEMBER]!r} may not add or remove the protected alias 'production' "
                f"of registry {registry!r}: that needs the admin role in the registry",
            ),
        },
    )
    for caller in (VIEWER, MEMBER):  # a refused link is not made at all
        assert org.owner.list_links(sources[caller]) == []


def test_only_a_registry_admin_gives_or_takes_a_protected_alias_by_saving(org: Org) -> None:
    registry = org.registry()
    links = {caller: org.owner.link_version(org.model(), registry, "clf").id for caller in CALLERS}
    give = _outcomes(
        org,
        lambda backend, caller: backend.update_version(links[caller], VersionUpdate(aliases=["production"])),
    )
    _expect(
        give,
        REGISTRY_ADMINS,
        {
            NONE: WRITE_NEEDED,  # every user is a viewer of a registry visible to the organization
            OTHER: WRITE_NEEDED,
            VIEWER: WRITE_NEEDED,
            MEMBER: (PermissionDeniedError, "protected alias 'production'"),
        },
    )
    holder = org.owner.link_version(org.model(), registry, "clf", ["production"])
    member = org.backends[MEMBER]
    with pytest.raises(PermissionDeniedError, match="protected alias 'production'.*needs the admin role"):
        member.update_version(holder.id, VersionUpdate(aliases=[]))  # taking it away
    with pytest.raises(PermissionDeniedError, match="protected alias 'production'"):
        member.update_version(links[MEMBER], VersionUpdate(aliases=["production"]))  # moving it
    edited = member.update_version(holder.id, VersionUpdate(aliases=["production", "reviewed"]))
    assert sorted(edited.aliases) == ["latest", "production", "reviewed"]  # other aliases are theirs
    assert org.owner.get_version(holder.id).aliases == edited.aliases


def test_only_a_registry_admin_unlinks_a_protected_version_or_deletes_its_collection(org: Org) -> None:
    registry = org.registry()
    links = {
        caller: org.owner.link_version(org.model(), registry, _name("c"), ["production"])
        for caller in CALLERS
    }
    refusals = {NONE: WRITE_NEEDED, OTHER: WRITE_NEEDED, VIEWER: WRITE_NEEDED}
    found = _outcomes(
        org, lambda backend, caller: backend.delete_version(links[caller].id, delete_aliases=True)
    )
    name = f"organization/wandb-registry-{registry}/{links[MEMBER].collection}:v0"
    refused_member = (
        PermissionDeniedError,
        f"may not unlink or delete {name!r}: it holds the protected alias 'production' of registry "
        f"{registry!r}, and only a registry admin may unlink or delete it",
    )
    _expect(found, REGISTRY_ADMINS, {**refusals, MEMBER: refused_member})
    project = f"wandb-registry-{registry}"
    found = _outcomes(
        org,
        lambda backend, caller: backend.delete_collection(ORGANIZATION, project, links[caller].collection),
    )
    _expect(
        found, REGISTRY_ADMINS, {**refusals, MEMBER: (PermissionDeniedError, "protected alias 'production'")}
    )
    for caller in (VIEWER, MEMBER):
        assert org.owner.get_version(links[caller].id).aliases == ("latest", "production")
    admin_links = [org.backends[ADMIN].link_version(org.model(), registry, "more", ["production"])]
    org.backends[ADMIN].delete_collection(ORGANIZATION, project, "more")  # with a protected version
    with pytest.raises(ArtifactNotFoundError):
        org.owner.get_version(admin_links[0].id)


def test_nobody_deletes_the_source_of_a_protected_version(org: Org) -> None:
    registry = org.registry()
    source = org.model()
    link = org.owner.link_version(source, registry, "clf", ["production"])
    for caller in (MEMBER, ADMIN, SERVER_ADMIN):
        backend = org.backends[caller]
        with pytest.raises(ProtectedAliasError, match="holds the protected alias 'production'") as refused:
            backend.delete_version(source, delete_aliases=True)
        assert "until a registry admin removes the alias" in str(refused.value)
        with pytest.raises(ProtectedAliasError, match="'production'"):
            backend.delete_collection(org.team, "proj", "clf")
    assert org.owner.get_version(source).id == source
    with pytest.raises(PermissionDeniedError, match="protected alias 'production'"):
        org.backends[MEMBER].update_version(link.id, VersionUpdate(aliases=[]))
    org.backends[ADMIN].update_version(link.id, VersionUpdate(aliases=[]))
    org.backends[MEMBER].delete_version(source, delete_aliases=True)


def test_only_a_registry_admin_overrides_a_promotion_rule(org: Org) -> None:
    registry = org.registry(RULE)
    sources = {caller: org.model(accuracy=0.5) for caller in CALLERS}
    reason = "approved by the review board"
    found = _outcomes(
        org,
        lambda backend, caller: backend.link_version(
            sources[caller], registry, "clf", ["production"], override_reason=reason
        ),
    )
    _expect(
        found,
        REGISTRY_ADMINS,
        {
            NONE: (ArtifactNotFoundError, "not found"),  # they may not read the team's version
            OTHER: (ArtifactNotFoundError, "not found"),
            VIEWER: WRITE_NEEDED,
            MEMBER: (PermissionDeniedError, f"may not override a promotion rule of registry {registry!r}"),
        },
    )
    (admin_link,) = org.owner.list_links(sources[ADMIN])
    (override,) = org.backends[VIEWER].list_promotion_overrides(admin_link.id)  # a viewer reads it
    assert (override.user, override.reason, override.alias, override.rule) == (
        org.users[ADMIN],
        reason,
        "production",
        RULE,
    )
    assert override.failures == ("summary.accuracy >= 0.92 failed: summary.accuracy is 0.5",)
    held = org.owner.resolve_version(ORGANIZATION, f"wandb-registry-{registry}", "clf", "production")
    assert held.source is not None and held.source.id == sources[SERVER_ADMIN]  # the last override won
    assert [o.reason for o in org.owner.list_promotion_overrides(held.id)] == [reason]
    with pytest.raises(PromotionRuleError, match="summary.accuracy is 0.5"):  # no reason: refused
        org.backends[ADMIN].link_version(org.model(accuracy=0.5), registry, "clf", ["production"])
    passing = org.backends[ADMIN].link_version(org.model(accuracy=0.99), registry, "clf", ["production"])
    assert org.owner.list_promotion_overrides(passing.id) == []
