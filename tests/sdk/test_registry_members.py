"""Registry members and roles through the SDK (W&B's ``Registry.members()``,
``add_members``, ``update_member``, ``remove_members``), on the embedded store and on a
server (SQLite + folder, PostgreSQL + S3).

On a server a restricted viewer (every user of a registry visible to the organization)
reads a link's metadata and entries but not its files, nor may a run use it; viewer, given
to the user or to a team of theirs, opens both. The embedded store's user is admin of
everything, so the same calls download there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import archivist as wandb
from archivist.client.admin import AdminClient
from archivist.core.errors import DownloadRefusedError, NotFoundError, PermissionDeniedError
from archivist.sdk.context import reset_contexts
from archivist.sdk.registry_members import MemberRole, Team, TeamMember, User
from tests.fixtures.archivist_server import ADMIN_KEY

pytestmark = pytest.mark.usefixtures("archivist_env")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _promoted(registry: str) -> str:
    """A model logged by the test's own entity and linked as ``production``; its path."""
    with wandb.init(project="train") as run:
        art = wandb.Artifact("clf", type="model")
        with art.new_file("weights.bin", mode="w") as f:
            f.write("the weights")
        run.log_artifact(art).wait()
        run.link_artifact(art, f"wandb-registry-{registry}/clf", aliases=["production"])
    return f"wandb-registry-{registry}/clf:production"


def test_members_are_added_changed_and_removed(default_entity: str) -> None:
    api = wandb.Api()
    registry = api.create_registry(_unique("crew"), "restricted", artifact_types=["model"])
    _promoted(registry.name)  # the test's entity exists from now on: a team of the server
    assert registry.add_members(default_entity) is registry
    assert registry.team_members() == [TeamMember(Team(default_entity), MemberRole.RESTRICTED_VIEWER)]
    registry.update_member(registry.team_members()[0], "viewer")
    assert registry.team_members()[0].role is MemberRole.VIEWER
    registry.update_member(Team(default_entity), MemberRole.MEMBER)
    assert [(m.team.name, m.role) for m in registry.team_members()] == [(default_entity, MemberRole.MEMBER)]
    creator = [m for m in registry.user_members()]  # a server's user who created it is its admin
    assert all(m.role is MemberRole.ADMIN for m in creator) and len(creator) <= 1
    assert len(registry.members()) == len(creator) + 1
    registry.remove_members(default_entity)
    assert registry.team_members() == []
    with pytest.raises(NotFoundError, match="is not a member of registry"):
        registry.update_member(default_entity, "viewer")
    with pytest.raises(TypeError, match="user or team name"):
        registry.add_members(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid registry role 'owner'"):
        registry.add_members(default_entity).update_member(default_entity, "owner")


@pytest.fixture
def outsider(archivist_env: Path) -> Iterator[AdminClient | None]:
    """On a server: the admin client (the test makes users with it). None on the embedded store."""
    if "ARCHIVIST_BASE_URL" not in os.environ:
        yield None
        return
    admin = AdminClient(os.environ["ARCHIVIST_BASE_URL"], ADMIN_KEY)
    yield admin
    admin.close()


def _as_user(monkeypatch: pytest.MonkeyPatch, key: str) -> wandb.Api:
    monkeypatch.setenv("ARCHIVIST_API_KEY", key)
    monkeypatch.delenv("ARCHIVIST_ENTITY", raising=False)
    reset_contexts()
    return wandb.Api()


def _downloads(api: wandb.Api, path: str) -> None:
    art = api.artifact(path)
    root = Path(art.download())
    assert (root / "weights.bin").read_text() == "the weights"
    assert [f.name for f in art.files()] == ["weights.bin"]
    with wandb.init(project="uses") as run:
        assert run.use_artifact(path).id == art.id


def test_a_restricted_viewer_reads_metadata_only_until_given_viewer(
    outsider: AdminClient | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = wandb.Api()
    registry = api.create_registry(_unique("open"), "organization", artifact_types=["model"])
    path = _promoted(registry.name)
    if outsider is None:  # the embedded store's user is admin of everything
        _downloads(api, path)
        return
    user = outsider.create_user(_unique("reader"))
    theirs = _as_user(monkeypatch, user.key.key)
    art = theirs.artifact(path)  # the metadata and entries are theirs to read
    assert art.source_name == "clf:v0" and "production" in art.aliases
    assert art.get_entry("weights.bin").size == len("the weights")
    needed = rf"is a restricted_viewer of registry '{registry.name}'; .*needs viewer, member or admin"
    for refused in (art.download, art.file, art.files, lambda: art.get_entry("weights.bin").download()):
        with pytest.raises(PermissionError, match=needed):
            refused()
    with wandb.init(project="uses") as run, pytest.raises(DownloadRefusedError, match=needed):
        run.use_artifact(path)
    monkeypatch.setenv("ARCHIVIST_API_KEY", ADMIN_KEY)
    reset_contexts()
    wandb.Api().registry(registry.name).add_members(User(user.user.name)).update_member(
        user.user.name, "viewer"
    )
    _downloads(_as_user(monkeypatch, user.key.key), path)


def test_a_teams_role_is_its_members_role(
    outsider: AdminClient | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = wandb.Api()
    registry = api.create_registry(_unique("closed"), "restricted", artifact_types=["model"])
    path = _promoted(registry.name)
    if outsider is None:
        _downloads(api, path)
        return
    team = _unique("readers")
    outsider.create_team(team)
    user = outsider.create_user(_unique("teammate"))
    outsider.set_member(team, user.user.name, "viewer")  # their role in the team does not matter
    registry.add_members(team)
    registry.update_member(team, "viewer")
    _downloads(_as_user(monkeypatch, user.key.key), path)
    monkeypatch.setenv("ARCHIVIST_API_KEY", ADMIN_KEY)
    reset_contexts()
    wandb.Api().registry(registry.name).remove_members(team)
    theirs = _as_user(monkeypatch, user.key.key)
    with pytest.raises(PermissionDeniedError, match=f"no role in registry '{registry.name}'"):
        theirs.artifact(path)
