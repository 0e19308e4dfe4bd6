"""Every route of /openapi.json, called by every kind of caller, against a table of what
each may do (written here, independently of ``archivist.core.access``).

The callers: no key, a revoked key, a user with no role in the team, a member of another
team, the team's viewer, member and admin, and the server administrator. Each route is
called with a valid request aimed at the team's objects; an allowed caller must succeed,
any other must be refused with the status the table names (401 without a live key, 403
for an entity they have no role in or too small a role, 404 for a version or blob they
may not read, which is answered exactly like one that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import CommitRequest
from archivist.core.registries import ORGANIZATION
from archivist.wire.blob_frames import encode_header
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess
from tests.server.conftest import WEBHOOK_HOST, _name

API = "/api/v1"
ANONYMOUS, REVOKED, NONE, OTHER = "anonymous", "revoked", "none", "other-team"
VIEWER, MEMBER, ADMIN, SERVER_ADMIN = "viewer", "member", "admin", "server-admin"
CALLERS = (ANONYMOUS, REVOKED, NONE, OTHER, VIEWER, MEMBER, ADMIN, SERVER_ADMIN)
AUTHENTICATED = frozenset(CALLERS) - {ANONYMOUS, REVOKED}
READERS = frozenset({VIEWER, MEMBER, ADMIN, SERVER_ADMIN})
WRITERS = frozenset({MEMBER, ADMIN, SERVER_ADMIN})
MANAGERS = frozenset({ADMIN, SERVER_ADMIN})
ONLY_SERVER_ADMIN = frozenset({SERVER_ADMIN})


@dataclass
class World:
    """A team with a version, a run and their blobs, and a key for each caller."""

    server: ServerProcess
    admin: AdminClient
    owner: HttpBackend
    team: str
    keys: dict[str, str | None] = field(default_factory=dict)
    version_id: str = ""
    manifest_digest: str = ""
    file_digest: str = ""
    run: dict[str, str] = field(default_factory=dict)
    registry: str = ""
    """A restricted registry: links into it leave the team's blobs unreadable to others."""

    def fresh_version(self) -> str:
        """A version of its own for a call that changes or deletes it."""
        name = _name("fresh")
        return log_files(self.owner, name, {"f.txt": name.encode()}, entity=self.team).version.id

    def fresh_user(self) -> str:
        return self.admin.create_user(_name("target")).user.name

    def fresh_registry(self) -> str:
        name = _name("registry")
        self.owner.create_registry(name, "organization", artifact_types=["dataset"])
        return name

    def fresh_protected_registry(self) -> str:
        """A registry protecting the alias ``production``."""
        name = self.fresh_registry()
        self.owner.protect_alias(name, "production")
        return name

    def fresh_registry_with_member(self) -> str:
        """A registry (visible to the organization) whose member is the team."""
        name = self.fresh_registry()
        self.owner.add_registry_members(name, [self.team])
        return name

    def fresh_member(self) -> str:
        """A new user with a role in the team, for a call that takes it away."""
        user = self.fresh_user()
        self.admin.set_member(self.team, user, "viewer")
        return user

    def spare_key_id(self, caller: str) -> str:
        """The id of a second key of the caller's own (made with their key), to revoke; a key
        of another user for callers without a live key (they are refused before it matters)."""
        key = self.keys[caller]
        if caller in (ANONYMOUS, REVOKED) or key is None:
            return self.admin.create_key(self.fresh_user()).record.id
        answer = httpx.post(
            f"{self.server.url}{API}/keys/mine/create", headers={"Authorization": f"Bearer {key}"}, json={}
        )
        answer.raise_for_status()
        return str(answer.json()["record"]["id"])

    def user_of(self, caller: str) -> str:
        key = self.keys[caller]
        answer = httpx.get(f"{self.server.url}{API}/identity", headers={"Authorization": f"Bearer {key}"})
        return str(answer.json()["user"])

    def fresh_run(self) -> dict[str, str]:
        """A run of its own for a call that deletes it."""
        run = {**self.run, "run_id": _name("run")}
        self.owner.upsert_run(_run_spec(run))
        return run

    def fresh_webhook(self) -> str:
        name = _name("hook")
        self.owner.create_webhook(
            self.team, name, PUBLIC_URL, signing_secret="s", access_token="TOKEN-SECRET"
        )
        return name

    def fresh_automation(self) -> str:
        name = _name("auto")
        self.owner.create_automation(_no_op(self.team, name))
        return name

    def delivery_id(self) -> str:
        return self.owner.automation_history(self.team, "on-create")[0].id

    def fresh_collection(self) -> str:
        name = _name("coll")
        log_files(self.owner, name, {"f.txt": name.encode()}, entity=self.team)
        return name

    def fresh_deleted(self) -> dict[str, Any]:
        """A deleted version of a collection of its own, for a call that restores it."""
        name = _name("gone")
        version = log_files(self.owner, name, {"f.txt": name.encode()}, entity=self.team).version
        self.owner.delete_version(version.id, delete_aliases=True)
        return {"entity": self.team, "project": "proj", "collection": name, "version_index": 0}

    def fresh_project(self) -> str:
        """A project of its own, for a call that deletes it."""
        project = _name("proj")
        log_files(self.owner, "data", {"f.txt": project.encode()}, entity=self.team, project=project)
        return project


@pytest.fixture(scope="module")
def world(server: ServerProcess, admin: AdminClient) -> Iterator[World]:
    team, other_team = _name("team"), _name("elsewhere")
    admin.create_team(team)
    admin.create_team(other_team)
    owner = HttpBackend(server.url, ADMIN_KEY)
    found = World(server, admin, owner, team, keys={ANONYMOUS: None, SERVER_ADMIN: ADMIN_KEY})
    for caller, entity, role in (
        (VIEWER, team, "viewer"),
        (MEMBER, team, "member"),
        (ADMIN, team, "admin"),
        (OTHER, other_team, "member"),
        (NONE, None, None),
        (REVOKED, team, "admin"),
    ):
        created = admin.create_user(_name(caller))
        if entity is not None:
            admin.set_member(entity, created.user.name, role)
        if entity == team:  # the team's roles are the organization's too: the registries' roles
            admin.set_member(ORGANIZATION, created.user.name, role)
        found.keys[caller] = created.key.key
        if caller == REVOKED:
            admin.revoke_key(created.key.record.id)
    data = f"the team's secret {team}".encode()
    found.run = {"entity": team, "project": "proj", "run_id": "run-1"}
    owner.upsert_run(_run_spec(found.run))
    result = log_files(owner, "data", {"secret.txt": data}, entity=team, run=_run_ref(found.run))
    found.version_id = result.version.id
    found.manifest_digest = result.version.manifest_digest
    found.file_digest = hash_bytes(data)
    found.registry = _name("private")
    owner.create_registry(found.registry, "restricted", artifact_types=["dataset"])
    owner.create_webhook(team, "hook", PUBLIC_URL, signing_secret="s", access_token="TOKEN-SECRET")
    owner.create_automation(_no_op(team, "on-create"))
    log_files(owner, "data", {"more.txt": b"another version"}, entity=team)
    yield found
    owner.close()


PUBLIC_URL = f"http://{WEBHOOK_HOST}:9/hook"
"""Allowed by the test server, and no one listens: webhooks/test answers the connection error."""


def _no_op(team: str, name: str) -> Any:
    from archivist.core.automations import Action, ActionType, EventType, NewAutomation, scope_for

    return NewAutomation(name, scope_for(team, "proj"), EventType.CREATE_ARTIFACT, Action(ActionType.NO_OP))


def _automation_json(world: World, name: str) -> dict[str, Any]:
    from archivist.core.models import to_dict

    return {"automation": to_dict(_no_op(world.team, name))}


def _no_secrets_check(world: World, caller: str, answer: httpx.Response) -> None:
    assert "TOKEN-SECRET" not in answer.text and '"s"' not in answer.text
    assert answer.json() and all(hook["signing_secret"] is None for hook in answer.json())


def _run_ref(run: dict[str, str]) -> Any:
    from archivist.core.models import RunRef

    return RunRef(run["entity"], run["project"], run["run_id"])


def _run_spec(run: dict[str, str]) -> Any:
    from archivist.core.models import RunSpec

    return RunSpec(ref=_run_ref(run))


# --- the table ----------------------------------------------------------------------------------

Request = dict[str, Any]
"""``httpx.request`` keyword arguments: json or content."""


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    allowed: frozenset[str]
    build: Callable[[World, str], Request]
    refused: int = 403
    """The status of an authenticated caller outside ``allowed``."""
    refused_elsewhere: int | None = None
    """The status for callers with no role in the team (none, other-team) when it differs."""
    ok: int = 200
    check: Callable[[World, str, httpx.Response], None] | None = None


def _ref(world: World) -> dict[str, str]:
    return dict(world.run)


def _commit_body(world: World, caller: str) -> Request:
    """A commit of content the team's version holds, into a new collection of the team."""
    manifest = Manifest([Entry(path="secret.txt", digest=world.file_digest, size=len(_secret(world)))])
    request = CommitRequest(
        entity=world.team,
        project="proj",
        name=_name("commit"),
        type="dataset",
        digest=manifest.digest(),
        manifest_digest=world.manifest_digest,
    )
    from archivist.core.models import to_dict

    return {"json": {"request": to_dict(request)}}


def _secret(world: World) -> bytes:
    return f"the team's secret {world.team}".encode()


def _missing_check(world: World, caller: str, answer: httpx.Response) -> None:
    missing = set(answer.json()["missing"])
    shown = caller in READERS
    assert (world.file_digest not in missing) is shown, (caller, missing)
    assert (world.manifest_digest not in missing) is shown, (caller, missing)


def _query_check(world: World, caller: str, answer: httpx.Response) -> None:
    assert "run-1" in {run["ref"]["run_id"] for run in answer.json()}


def _count_check(world: World, caller: str, answer: httpx.Response) -> None:
    assert answer.json() >= 1  # run-1 at least


def _graph_check(world: World, caller: str, answer: httpx.Response) -> None:
    nodes = answer.json()["nodes"]
    assert {node["id"] for node in nodes} >= {world.version_id}
    assert all(not node["hidden"] for node in nodes)


def _disabled_check(world: World, caller: str, answer: httpx.Response) -> None:
    assert answer.json()["disabled"] is True


def _teams_check(world: World, caller: str, answer: httpx.Response) -> None:
    teams = {team["name"]: team["role"] for team in answer.json()}
    if caller == SERVER_ADMIN:
        assert world.team in teams
    elif caller in READERS:
        assert teams.get(world.team) == caller, teams
    else:
        assert world.team not in teams, teams
    assert all(name != world.user_of(caller) for name in teams)  # a personal entity is no team


def _own_key_check(world: World, caller: str, answer: httpx.Response) -> None:
    record = answer.json().get("record", answer.json())
    assert record["user"] == world.user_of(caller)


def _own_keys_check(world: World, caller: str, answer: httpx.Response) -> None:
    keys = answer.json()
    assert keys and {key["user"] for key in keys} == {world.user_of(caller)}


def _framed(data: bytes) -> Request:
    return {"content": encode_header(hash_bytes(data), len(data)) + data}


def _upload_check(world: World, caller: str, answer: httpx.Response) -> None:
    assert answer.json()["rejected"] == [] and len(answer.json()["stored"]) == 1


def _history_check(world: World, caller: str, answer: httpx.Response) -> None:
    kinds = [event["event_type"] for event in answer.json()]
    assert kinds[-2:] == ["ADD_ARTIFACT_ALIAS", "CREATE_ARTIFACT"], kinds


def _registries_check(world: World, caller: str, answer: httpx.Response) -> None:
    names = {registry["name"] for registry in answer.json()}
    assert {"model", "dataset"} <= names


CASES: list[Case] = [
    Case("GET", "/health", frozenset(CALLERS), lambda w, c: {}),
    Case("GET", f"{API}/identity", AUTHENTICATED, lambda w, c: {}),
    Case(
        "POST",
        f"{API}/admin/users/create",
        ONLY_SERVER_ADMIN,
        lambda w, c: {"json": {"name": _name("new")}},
    ),
    Case("GET", f"{API}/admin/users", ONLY_SERVER_ADMIN, lambda w, c: {}),
    Case(
        "POST",
        f"{API}/admin/keys/create",
        ONLY_SERVER_ADMIN,
        lambda w, c: {"json": {"user": w.fresh_user()}},
    ),
    Case(
        "POST",
        f"{API}/admin/keys/list",
        ONLY_SERVER_ADMIN,
        lambda w, c: {"json": {"user": w.fresh_user()}},
    ),
    Case(
        "POST",
        f"{API}/admin/keys/revoke",
        ONLY_SERVER_ADMIN,
        lambda w, c: {"json": {"key_id": w.admin.create_key(w.fresh_user()).record.id}},
    ),
    Case("POST", f"{API}/admin/teams/create", ONLY_SERVER_ADMIN, lambda w, c: {"json": {"name": _name("t")}}),
    Case(
        "POST",
        f"{API}/admin/teams/members/set",
        MANAGERS,
        lambda w, c: {"json": {"team": w.team, "user": w.fresh_user(), "role": "viewer"}},
    ),
    Case("POST", f"{API}/admin/teams/members/list", READERS, lambda w, c: {"json": {"team": w.team}}),
    Case(
        "POST",
        f"{API}/admin/teams/members/remove",
        MANAGERS,
        lambda w, c: {"json": {"team": w.team, "user": w.fresh_member()}},
    ),
    Case(
        "POST",
        f"{API}/admin/users/disable",
        ONLY_SERVER_ADMIN,
        lambda w, c: {"json": {"name": w.fresh_user()}},
        check=_disabled_check,
    ),
    Case("GET", f"{API}/teams/list", AUTHENTICATED, lambda w, c: {}, check=_teams_check),
    Case(
        "POST",
        f"{API}/keys/mine/create",
        AUTHENTICATED,
        lambda w, c: {"json": {"description": f"made by {c}"}},
        check=_own_key_check,
    ),
    Case("GET", f"{API}/keys/mine/list", AUTHENTICATED, lambda w, c: {}, check=_own_keys_check),
    Case(
        "POST",
        f"{API}/keys/mine/revoke",
        AUTHENTICATED,
        lambda w, c: {"json": {"key_id": w.spare_key_id(c)}},
        check=_own_key_check,
    ),
    Case(
        "POST",
        f"{API}/runs/upsert",
        WRITERS,
        lambda w, c: {"json": {"spec": {"ref": {**_ref(w), "run_id": _name("run")}}}},
    ),
    Case(
        "POST",
        f"{API}/runs/update",
        WRITERS,
        lambda w, c: {"json": {"ref": _ref(w), "update": {"notes": f"by {c}"}}},
    ),
    Case("POST", f"{API}/runs/get", READERS, lambda w, c: {"json": {"ref": _ref(w)}}),
    Case("POST", f"{API}/runs/list", READERS, lambda w, c: {"json": {"entity": w.team, "project": "proj"}}),
    Case(
        "POST",
        f"{API}/runs/history/append",
        WRITERS,
        lambda w, c: {"json": {"ref": _ref(w), "rows": [{"_step": CALLERS.index(c), "loss": 1.0}]}},
    ),
    Case("POST", f"{API}/runs/history/read", READERS, lambda w, c: {"json": {"ref": _ref(w)}}),
    Case(
        "POST",
        f"{API}/runs/files/add",
        WRITERS,
        lambda w, c: {
            "json": {
                "ref": _ref(w),
                "files": [{"path": f"saved-{c}.txt", "digest": w.file_digest, "size": len(_secret(w))}],
            }
        },
    ),
    Case("POST", f"{API}/runs/files/list", READERS, lambda w, c: {"json": {"ref": _ref(w)}}),
    Case(
        "POST",
        f"{API}/runs/query",
        READERS,
        lambda w, c: {
            "json": {"query": {"entity": w.team, "project": "proj", "filters": {"state": {"$ne": "x"}}}}
        },
        check=_query_check,
    ),
    Case(
        "POST",
        f"{API}/runs/count",
        READERS,
        lambda w, c: {
            "json": {"query": {"entity": w.team, "project": "proj", "filters": {"state": {"$ne": "x"}}}}
        },
        check=_count_check,
    ),
    Case("POST", f"{API}/runs/delete", WRITERS, lambda w, c: {"json": {"ref": w.fresh_run()}}),
    Case(
        "POST", f"{API}/projects/get", READERS, lambda w, c: {"json": {"entity": w.team, "project": "proj"}}
    ),
    Case("POST", f"{API}/projects/records", READERS, lambda w, c: {"json": {"entity": w.team}}),
    Case(
        "POST", f"{API}/storage/usage", READERS, lambda w, c: {"json": {"entity": w.team, "project": "proj"}}
    ),
    Case("POST", f"{API}/admin/gc", ONLY_SERVER_ADMIN, lambda w, c: {"json": {"dry_run": True}}),
    Case(
        "POST", f"{API}/admin/gc/explain", ONLY_SERVER_ADMIN, lambda w, c: {"json": {"digest": w.file_digest}}
    ),
    Case("POST", f"{API}/versions/commit", WRITERS, _commit_body),
    Case(
        "POST",
        f"{API}/versions/resolve",
        READERS,
        lambda w, c: {
            "json": {"entity": w.team, "project": "proj", "collection": "data", "selector": "latest"}
        },
    ),
    Case(
        "POST",
        f"{API}/versions/resolve_as_of",
        READERS,
        lambda w, c: {
            "json": {
                "entity": w.team,
                "project": "proj",
                "collection": "data",
                "selector": "latest",
                "as_of": "2999-01-01T00:00:00+00:00",
            }
        },
    ),
    Case(
        "POST",
        f"{API}/collections/history",
        READERS,
        lambda w, c: {"json": {"entity": w.team, "project": "proj", "collection": "data"}},
        check=_history_check,
    ),
    Case(
        "POST",
        f"{API}/versions/get",
        READERS,
        lambda w, c: {"json": {"version_id": w.version_id}},
        refused_elsewhere=404,
    ),
    Case(
        "POST",
        f"{API}/versions/list",
        READERS,
        lambda w, c: {"json": {"query": {"entity": w.team, "project": "proj", "collection": "data"}}},
    ),
    Case(
        "POST",
        f"{API}/versions/update",
        WRITERS,
        lambda w, c: {"json": {"version_id": w.fresh_version(), "update": {"description": c}}},
        refused_elsewhere=404,
    ),
    Case(
        "POST",
        f"{API}/versions/delete",
        WRITERS,
        lambda w, c: {"json": {"version_id": w.fresh_version(), "delete_aliases": True}},
        refused_elsewhere=404,
    ),
    Case("POST", f"{API}/versions/restore", WRITERS, lambda w, c: {"json": w.fresh_deleted()}),
    Case(
        "POST",
        f"{API}/versions/deleted",
        READERS,
        lambda w, c: {"json": {"entity": w.team, "project": "proj"}},
    ),
    Case(
        "POST",
        f"{API}/entities/default-ttl/set",
        MANAGERS,
        lambda w, c: {"json": {"entity": w.team, "ttl_seconds": None}},
    ),
    Case("POST", f"{API}/entities/default-ttl/get", READERS, lambda w, c: {"json": {"entity": w.team}}),
    Case(
        "POST",
        f"{API}/entities/ttl-editors/set",
        MANAGERS,
        lambda w, c: {"json": {"entity": w.team, "editors": "members"}},
    ),
    Case("POST", f"{API}/entities/ttl-editors/get", READERS, lambda w, c: {"json": {"entity": w.team}}),
    Case(
        "POST", f"{API}/lifecycle/sweep", MANAGERS, lambda w, c: {"json": {"entity": w.team, "dry_run": True}}
    ),
    Case(
        "POST",
        f"{API}/projects/delete",
        MANAGERS,
        lambda w, c: {"json": {"entity": w.team, "project": w.fresh_project()}},
    ),
    Case("POST", f"{API}/projects/list", READERS, lambda w, c: {"json": {"entity": w.team}}),
    Case("POST", f"{API}/types/list", READERS, lambda w, c: {"json": {"entity": w.team, "project": "proj"}}),
    Case(
        "POST",
        f"{API}/collections/list",
        READERS,
        lambda w, c: {"json": {"entity": w.team, "project": "proj"}},
    ),
    Case(
        "POST",
        f"{API}/collections/get",
        READERS,
        lambda w, c: {"json": {"entity": w.team, "project": "proj", "name": "data"}},
    ),
    Case(
        "POST",
        f"{API}/collections/update",
        WRITERS,
        lambda w, c: {
            "json": {
                "entity": w.team,
                "project": "proj",
                "name": w.fresh_collection(),
                "update": {"description": c},
            }
        },
    ),
    Case(
        "POST",
        f"{API}/collections/delete",
        WRITERS,
        lambda w, c: {"json": {"entity": w.team, "project": "proj", "name": w.fresh_collection()}},
    ),
    Case(
        "POST",
        f"{API}/blobs/missing",
        AUTHENTICATED,
        lambda w, c: {"json": {"digests": [w.file_digest, w.manifest_digest]}},
        check=_missing_check,
    ),
    Case(
        "POST",
        f"{API}/blobs/upload",
        AUTHENTICATED,
        lambda w, c: _framed(f"framed by {c} {w.team}".encode()),
        check=_upload_check,
    ),
    Case(
        "PUT",
        f"{API}/blobs/" + "{digest}",
        AUTHENTICATED,
        lambda w, c: {"content": f"put by {c} {w.team}".encode()},
    ),
    Case(
        "GET",
        f"{API}/blobs/" + "{digest}",
        READERS,
        lambda w, c: {},
        refused=404,
    ),
    Case(
        "POST",
        f"{API}/blobs/download",
        READERS,
        lambda w, c: {"json": {"digests": [w.file_digest]}},
        refused=404,
    ),
    Case(
        "POST",
        f"{API}/blobs/upload-plan",
        AUTHENTICATED,
        lambda w, c: {"json": {"blobs": [{"digest": hash_bytes(f"plan {c} {w.team}".encode()), "size": 9}]}},
    ),
    Case(
        "POST",
        f"{API}/blobs/upload-complete",
        AUTHENTICATED,
        lambda w, c: {"json": {"completions": []}},
        ok=400,  # a folder store takes no direct uploads: the refusal is about the store, not the caller
    ),
    Case(
        "POST",
        f"{API}/blobs/download-plan",
        READERS,
        lambda w, c: {"json": {"digests": [w.file_digest]}},
        refused=404,
    ),
    Case(
        "POST",
        f"{API}/lineage/record-use",
        WRITERS,
        lambda w, c: {"json": {"ref": _ref(w), "version_id": w.version_id}},
    ),
    Case(
        "POST",
        f"{API}/lineage/record-output",
        WRITERS,
        lambda w, c: {"json": {"ref": _ref(w), "version_id": w.version_id}},
        refused_elsewhere=403,
    ),
    Case(
        "POST",
        f"{API}/lineage/producer",
        READERS,
        lambda w, c: {"json": {"version_id": w.version_id}},
        refused_elsewhere=404,
    ),
    Case(
        "POST",
        f"{API}/lineage/consumers",
        READERS,
        lambda w, c: {"json": {"version_id": w.version_id}},
        refused_elsewhere=404,
    ),
    Case("POST", f"{API}/lineage/run-outputs", READERS, lambda w, c: {"json": {"ref": _ref(w)}}),
    Case("POST", f"{API}/lineage/run-inputs", READERS, lambda w, c: {"json": {"ref": _ref(w)}}),
    Case(
        "POST",
        f"{API}/lineage/graph",
        READERS,
        lambda w, c: {"json": {"node_id": w.version_id, "direction": "both", "depth": 2}},
        refused_elsewhere=404,
        check=_graph_check,
    ),
    # registries: the roles are the organization's (the team's callers hold the same role
    # there); every user is a restricted viewer of a registry visible to the organization
    # (tests/server/test_registry_roles.py holds the registry's own roles)
    Case(
        "POST",
        f"{API}/registries/create",
        WRITERS,
        lambda w, c: {"json": {"name": _name("reg"), "visibility": "restricted"}},
    ),
    Case("POST", f"{API}/registries/list", AUTHENTICATED, lambda w, c: {}, check=_registries_check),
    Case("POST", f"{API}/registries/get", AUTHENTICATED, lambda w, c: {"json": {"name": "model"}}),
    Case(
        "POST",
        f"{API}/registries/versions",
        AUTHENTICATED,
        lambda w, c: {"json": {"name": "model", "filter": {"alias": "production"}, "limit": 5}},
    ),
    Case(
        "POST",
        f"{API}/registries/update",
        MANAGERS,
        lambda w, c: {"json": {"name": w.fresh_registry(), "update": {"description": c}}},
    ),
    Case(
        "POST",
        f"{API}/registries/delete",
        MANAGERS,
        lambda w, c: {"json": {"name": w.fresh_registry()}},
    ),
    Case(
        "POST",
        f"{API}/links/create",
        WRITERS,
        lambda w, c: {"json": {"version_id": w.version_id, "registry": w.registry, "collection": "data"}},
        refused_elsewhere=404,
    ),
    Case(
        "POST",
        f"{API}/registries/members/list",
        AUTHENTICATED,
        lambda w, c: {"json": {"name": "model"}},
    ),
    Case("POST", f"{API}/registries/role", AUTHENTICATED, lambda w, c: {"json": {"name": "model"}}),
    Case(
        "POST",
        f"{API}/registries/members/add",
        MANAGERS,
        lambda w, c: {"json": {"name": w.fresh_registry(), "members": [w.team]}},
    ),
    Case(
        "POST",
        f"{API}/registries/members/update",
        MANAGERS,
        lambda w, c: {"json": {"name": w.fresh_registry_with_member(), "member": w.team, "role": "viewer"}},
    ),
    Case(
        "POST",
        f"{API}/registries/members/remove",
        MANAGERS,
        lambda w, c: {"json": {"name": w.fresh_registry_with_member(), "members": [w.team]}},
    ),
    Case(
        "POST",
        f"{API}/versions/check-download",
        READERS,
        lambda w, c: {"json": {"version_id": w.version_id}},
        refused_elsewhere=404,
    ),
    Case(
        "POST",
        f"{API}/links/list",
        READERS,
        lambda w, c: {"json": {"version_id": w.version_id}},
        refused_elsewhere=404,
    ),
    Case(
        "POST",
        f"{API}/registries/protected-aliases/set",
        MANAGERS,
        lambda w, c: {
            "json": {"registry": w.fresh_registry(), "alias": "production", "rule": "summary.acc >= 0.9"}
        },
    ),
    Case(
        "POST",
        f"{API}/registries/protected-aliases/remove",
        MANAGERS,
        lambda w, c: {"json": {"registry": w.fresh_protected_registry(), "alias": "production"}},
    ),
    Case(
        "POST",
        f"{API}/registries/promotion-overrides",
        READERS,
        lambda w, c: {"json": {"version_id": w.version_id}},
        refused_elsewhere=404,
    ),
    # automations: webhooks are the team admins' (their secrets are never answered);
    # automations are its members'; viewers read them and their history
    Case(
        "POST",
        f"{API}/webhooks/create",
        MANAGERS,
        lambda w, c: {
            "json": {"entity": w.team, "name": _name("hook"), "url": PUBLIC_URL, "secrets": {"K": "v"}}
        },
    ),
    Case(
        "POST",
        f"{API}/webhooks/list",
        WRITERS,
        lambda w, c: {"json": {"entity": w.team}},
        check=_no_secrets_check,
    ),
    Case(
        "POST",
        f"{API}/webhooks/delete",
        MANAGERS,
        lambda w, c: {"json": {"entity": w.team, "name": w.fresh_webhook()}},
    ),
    Case("POST", f"{API}/webhooks/test", MANAGERS, lambda w, c: {"json": {"entity": w.team, "name": "hook"}}),
    Case(
        "POST",
        f"{API}/automations/create",
        WRITERS,
        lambda w, c: {"json": _automation_json(w, _name("auto"))},
    ),
    Case(
        "POST",
        f"{API}/automations/list",
        READERS,
        lambda w, c: {"json": {"entity": w.team, "project": "proj"}},
    ),
    Case(
        "POST",
        f"{API}/automations/update",
        WRITERS,
        lambda w, c: {
            "json": {"entity": w.team, "name": (n := w.fresh_automation()), **_automation_json(w, n)}
        },
    ),
    Case(
        "POST",
        f"{API}/automations/delete",
        WRITERS,
        lambda w, c: {"json": {"entity": w.team, "name": w.fresh_automation()}},
    ),
    Case(
        "POST",
        f"{API}/automations/history",
        READERS,
        lambda w, c: {"json": {"entity": w.team, "name": "on-create"}},
    ),
    Case(
        "POST",
        f"{API}/automations/redeliver",
        WRITERS,
        lambda w, c: {"json": {"entity": w.team, "delivery_id": w.delivery_id()}},
    ),
]


def _path(case: Case, world: World, caller: str, request: Request) -> str:
    if "{digest}" not in case.path:
        return case.path
    if case.method == "PUT":
        return case.path.replace("{digest}", hash_bytes(request["content"]))
    return case.path.replace("{digest}", world.file_digest)


def _expected(case: Case, caller: str) -> int:
    if caller in case.allowed:
        return case.ok
    if caller in (ANONYMOUS, REVOKED):
        return 401
    if caller in (NONE, OTHER) and case.refused_elsewhere is not None:
        return case.refused_elsewhere
    return case.refused


def test_the_table_names_every_route(server: ServerProcess) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    routes = {(method.upper(), path) for path, methods in spec["paths"].items() for method in methods}
    assert routes == {(case.method, case.path) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method} {case.path}")
def test_every_caller_gets_what_the_table_says(world: World, case: Case) -> None:
    wrong = []
    for caller in CALLERS:
        request = case.build(world, caller)
        key = world.keys[caller]
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        url = world.server.url + _path(case, world, caller, request)
        answer = httpx.request(case.method, url, headers=headers, timeout=30, **request)
        expected = _expected(case, caller)
        if answer.status_code != expected:
            wrong.append(f"{caller}: {answer.status_code} (expected {expected}) {answer.text[:200]}")
        elif caller in case.allowed and case.check is not None:
            case.check(world, caller, answer)
        elif answer.status_code >= 400 and case.path != "/health":
            _refusal_reveals_nothing(world, answer)
    assert not wrong, "\n".join(wrong)


def _refusal_reveals_nothing(world: World, answer: httpx.Response) -> None:
    text = answer.text
    assert _secret(world).decode() not in text
    assert world.manifest_digest not in text or "not found" in text


# --- ids and digests at the edge ---------------------------------------------------------------

PADDED = (
    "0000000000000000002",
    "02",
    "+2",
    " 2",
    "2 ",
    "0",
    "-1",
    "2.0",
    "1e3",
    "",
    "١٢",
    "99999999999999999999",
)
ID_ROUTES: list[tuple[str, Callable[[World, str], dict[str, Any]]]] = [
    ("/versions/get", lambda w, v: {"version_id": v}),
    ("/versions/update", lambda w, v: {"version_id": v, "update": {"description": "x"}}),
    ("/versions/delete", lambda w, v: {"version_id": v, "delete_aliases": True}),
    ("/lineage/producer", lambda w, v: {"version_id": v}),
    ("/lineage/consumers", lambda w, v: {"version_id": v}),
    ("/lineage/record-use", lambda w, v: {"ref": _ref(w), "version_id": v}),
    ("/lineage/record-output", lambda w, v: {"ref": _ref(w), "version_id": v}),
    ("/lineage/graph", lambda w, v: {"node_id": v, "direction": "both", "depth": 1}),
    ("/links/create", lambda w, v: {"version_id": v, "registry": w.registry, "collection": "data"}),
    ("/links/list", lambda w, v: {"version_id": v}),
    ("/registries/promotion-overrides", lambda w, v: {"version_id": v}),
    ("/versions/check-download", lambda w, v: {"version_id": v}),
    (
        "/versions/commit",
        lambda w, v: {"request": {**_commit_body(w, SERVER_ADMIN)["json"]["request"], "base_version_id": v}},
    ),
]


@pytest.mark.parametrize(("route", "body"), ID_ROUTES, ids=[route for route, _ in ID_ROUTES])
@pytest.mark.parametrize("caller", [VIEWER, SERVER_ADMIN])
def test_ids_that_are_not_canonical_are_refused_at_the_edge(
    world: World, route: str, body: Callable[[World, str], dict[str, Any]], caller: str
) -> None:
    headers = {"Authorization": f"Bearer {world.keys[caller]}"}
    padded = ["0" * (19 - len(world.version_id)) + world.version_id, *PADDED]
    for value in padded:
        answer = httpx.post(f"{world.server.url}{API}{route}", json=body(world, value), headers=headers)
        assert answer.status_code == 400, (value, answer.text)
        assert answer.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(("route", "body"), ID_ROUTES[:-1], ids=[route for route, _ in ID_ROUTES[:-1]])
def test_a_foreign_version_is_answered_as_absent(
    world: World, route: str, body: Callable[[World, str], dict[str, Any]]
) -> None:
    """A version of another team: its id is canonical and real, and still not found for the
    team's viewer, exactly like an id that names nothing."""
    elsewhere = _name("foreign")
    world.admin.create_team(elsewhere)
    foreign = log_files(world.owner, "theirs", {"t.txt": elsewhere.encode()}, entity=elsewhere).version.id
    headers = {"Authorization": f"Bearer {world.keys[VIEWER]}"}
    answers = {}
    for value in (foreign, "999999999999999999"):
        answer = httpx.post(f"{world.server.url}{API}{route}", json=body(world, value), headers=headers)
        answers[value] = answer
        if route in ("/lineage/record-use", "/lineage/record-output"):  # the viewer may not write
            # the run: refused first
            assert answer.status_code == 403, answer.text
            continue
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["message"] == f"artifact version {value!r} not found"
    assert elsewhere not in answers[foreign].text


BAD_DIGESTS = ("A" * 64, "a" * 63, "a" * 65, " " + "a" * 63, "g" * 64, "")


@pytest.mark.parametrize("caller", [VIEWER, SERVER_ADMIN])
def test_malformed_digests_are_refused_at_the_edge(world: World, caller: str) -> None:
    headers = {"Authorization": f"Bearer {world.keys[caller]}"}
    for digest in BAD_DIGESTS:
        for route in ("/blobs/missing", "/blobs/download", "/blobs/download-plan"):
            answer = httpx.post(
                f"{world.server.url}{API}{route}", json={"digests": [digest]}, headers=headers
            )
            assert answer.status_code == 400, (route, digest, answer.text)
        if digest.strip():
            answer = httpx.get(f"{world.server.url}{API}/blobs/{digest}", headers=headers)
            assert answer.status_code in (400, 404) and answer.status_code != 200, (digest, answer.text)
            assert answer.json()["error"]["code"] in ("invalid_input", "not_found"), answer.text


def test_a_foreign_blob_is_answered_as_absent(world: World) -> None:
    """The team's blob, asked for by a member of another team who knows its digest."""
    headers = {"Authorization": f"Bearer {world.keys[OTHER]}"}
    base = f"{world.server.url}{API}"
    absent = hash_bytes(b"nobody stored this " + world.team.encode())
    answers = {}
    for digest in (world.file_digest, absent):
        answers[digest] = [
            httpx.get(f"{base}/blobs/{digest}", headers=headers),
            httpx.post(f"{base}/blobs/download", json={"digests": [digest]}, headers=headers),
            httpx.post(f"{base}/blobs/download-plan", json={"digests": [digest]}, headers=headers),
        ]
        missing = httpx.post(f"{base}/blobs/missing", json={"digests": [digest]}, headers=headers)
        assert missing.json()["missing"] == [digest]
    for real, fake in zip(answers[world.file_digest], answers[absent], strict=True):
        assert real.status_code == fake.status_code == 404
        assert real.json()["error"]["code"] == fake.json()["error"]["code"] == "blob_not_found"
        assert real.json()["error"]["message"].replace(world.file_digest, "D") == fake.json()["error"][
            "message"
        ].replace(absent, "D")
