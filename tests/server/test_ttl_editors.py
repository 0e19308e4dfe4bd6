"""Who may set TTLs in a team (SPEC §6) on a real server: the setting is its admins' to
change and anyone's in it to read; with ``admins`` a TTL a member gives does not apply while
the rest of their commit or edit does, and the SDK says so in one line."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from archivist.core.lifecycle import TTL_DISABLED
from archivist.core.models import VersionUpdate
from tests.client.artifact_logging import log_text
from tests.server.conftest import ServerProcess, Team

DAY = 86400


def _user_key(admin: AdminClient, team: str, role: str, revoked: bool = False) -> str:
    created = admin.create_user(f"{role}-{uuid.uuid4().hex[:8]}")
    admin.set_member(team, created.user.name, role)
    if revoked:
        admin.revoke_key(created.key.record.id)
    return created.key.key


def test_only_the_teams_admins_change_the_setting(
    team: Team, admin: AdminClient, server: ServerProcess
) -> None:
    viewer, member, team_admin = (team.backends[role] for role in ("viewer", "member", "admin"))
    for reader in (viewer, member, team_admin):
        assert reader.get_ttl_editors(team.name) == "members"
    for refused in (viewer, member):
        with pytest.raises(PermissionDeniedError, match="admin"):
            refused.set_ttl_editors(team.name, "admins")
    other_team = f"other-{uuid.uuid4().hex[:8]}"
    admin.create_team(other_team)
    other_admin = HttpBackend(server.url, _user_key(admin, other_team, "admin"))
    revoked = HttpBackend(server.url, _user_key(admin, team.name, "admin", revoked=True))
    try:
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            other_admin.set_ttl_editors(team.name, "admins")
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            other_admin.get_ttl_editors(team.name)
        with pytest.raises(AuthenticationError):
            revoked.set_ttl_editors(team.name, "admins")
    finally:
        other_admin.close()
        revoked.close()
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        team.backends["outsider"].set_ttl_editors(team.name, "admins")
    assert viewer.get_ttl_editors(team.name) == "members"  # nothing above changed it
    team_admin.set_ttl_editors(team.name, "admins")
    assert viewer.get_ttl_editors(team.name) == "admins"


def test_a_members_ttl_applies_unless_admins_only(team: Team) -> None:
    member, team_admin = team.backends["member"], team.backends["admin"]
    allowed = log_text(member, "cats", "one", entity=team.name, ttl_seconds=DAY).version
    assert allowed.ttl_seconds == DAY and not allowed.ttl_inherited
    team_admin.set_ttl_editors(team.name, "admins")
    ignored = log_text(
        member, "cats", "two", entity=team.name, ttl_seconds=DAY, description="kept", aliases=("best",)
    ).version
    assert ignored.ttl_inherited and ignored.ttl_seconds is None  # the team has no default TTL
    assert ignored.description == "kept" and "best" in ignored.aliases  # the rest applied
    edited = member.update_version(allowed.id, VersionUpdate(description="edited", ttl_seconds=TTL_DISABLED))
    assert edited.description == "edited" and edited.ttl_seconds == DAY  # the TTL stays
    by_admin = team_admin.update_version(ignored.id, VersionUpdate(ttl_seconds=2 * DAY))
    assert by_admin.ttl_seconds == 2 * DAY and not by_admin.ttl_inherited
    assert log_text(team_admin, "cats", "three", entity=team.name, ttl_seconds=DAY).version.ttl_seconds == DAY
    team_admin.set_ttl_editors(team.name, "members")
    assert member.update_version(allowed.id, VersionUpdate(ttl_seconds=TTL_DISABLED)).ttl_seconds is None


@pytest.fixture
def sdk_as_member(
    team: Team, server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    from archivist.sdk import session
    from archivist.sdk.context import reset_contexts

    monkeypatch.setenv("ARCHIVIST_DIR", str(tmp_path / "home"))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ARCHIVIST_BASE_URL", server.url)
    monkeypatch.setenv("ARCHIVIST_API_KEY", team.keys["member"])
    monkeypatch.setenv("ARCHIVIST_ENTITY", team.name)
    monkeypatch.setenv("ARCHIVIST_PROJECT", "p")
    monkeypatch.delenv("ARCHIVIST_SILENT", raising=False)
    monkeypatch.chdir(tmp_path)
    reset_contexts()
    yield
    session.teardown()
    reset_contexts()


def test_the_sdk_says_when_a_ttl_was_not_applied(
    team: Team, sdk_as_member: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import archivist

    team.backends["admin"].set_ttl_editors(team.name, "admins")
    (tmp_path / "a.txt").write_text("hello")
    artifact = archivist.Artifact("notes", "dataset")
    artifact.add_file(str(tmp_path / "a.txt"))
    artifact.ttl = dt.timedelta(days=3)
    with archivist.init(project="p") as run:
        run.log_artifact(artifact).wait()
    notices = [line for line in capsys.readouterr().err.splitlines() if "TTL" in line]
    assert (
        len(notices) == 1 and "notes:v0" in notices[0] and f"only admins of team {team.name!r}" in notices[0]
    )
    assert artifact.ttl is None  # inherited: the team has no default TTL
    logged = archivist.Api().artifact(f"{team.name}/p/notes:v0")
    logged.description = "edited"
    logged.save()
    assert "TTL" not in capsys.readouterr().err  # no TTL change asked: no notice
    logged.ttl = dt.timedelta(days=1)
    logged.save()
    assert capsys.readouterr().err.count("was not applied") == 1
    assert logged.description == "edited" and logged.ttl is None
