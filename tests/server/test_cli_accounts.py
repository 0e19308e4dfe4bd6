"""The account commands against a real server: login, user, key, team, db upgrade;
each failure is one line on stderr."""

from __future__ import annotations

import json
import re
import stat
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archivist.cli.main import cli
from archivist.metadata.migrate import HEAD_REVISION
from archivist.sdk import session
from archivist.sdk.context import reset_contexts
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``archivist ARGS`` in-process, with a config folder and store of the test's own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("ARCHIVIST_DIR", str(tmp_path / "home"))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY", "ARCHIVIST_ENTITY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    reset_contexts()
    yield invoke
    session.teardown()
    reset_contexts()


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _one_error_line(result: Result, code: int = 1) -> str:
    """The one error line; ``code`` 2 for a usage mistake (a bad value), 1 for other failures."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archivist: error: "), result.stderr
    return lines[0]


def test_login_saves_the_key_privately_and_commands_use_it(
    run, server: ServerProcess, tmp_path: Path
) -> None:
    login = run("login", server.url + "/", "--key", ADMIN_KEY)
    assert login.exit_code == 0, login.stderr
    assert "as 'admin'" in login.stdout
    saved = tmp_path / "config" / "archivist" / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text()) == {"base_url": server.url, "keys": {server.url: ADMIN_KEY}}

    user = _name("ada")
    created = run("user", "create", user)
    assert created.exit_code == 0, created.stderr
    key = created.stdout.splitlines()[-1]
    assert key.startswith("ak_") and "shown only this once" in created.stdout
    assert user in run("user", "list").stdout

    another = run("key", "create", "--user", user, "-d", "ci runner")
    assert another.exit_code == 0, another.stderr
    listed = run("key", "list", "--user", user).stdout.splitlines()
    assert len(listed) == 2 and listed[1].endswith("ci runner") and "\tactive\t" in listed[1]
    key_id = listed[1].split("\t")[0]
    assert re.fullmatch(r"kid_[0-9a-f]{12}", key_id) and key_id[4:] not in another.stdout.splitlines()[-1]
    assert key_id in another.stdout.splitlines()[0]  # 'Created API key kid_... for ...'
    assert run("key", "revoke", key_id).stdout.strip() == f"Revoked API key {key_id} of {user!r}."
    assert "key ids look like kid_" in _one_error_line(run("key", "revoke", "1"))
    assert "\trevoked\t" in run("key", "list", "--user", user).stdout.splitlines()[1]

    team = _name("lab")
    assert run("team", "create", team).exit_code == 0
    added = run("team", "add", team, user, "--role", "viewer")
    assert added.exit_code == 0 and "viewer" in added.stdout
    assert run("team", "members", team).stdout.strip() == f"{user}\tviewer"

    # the new user logs in (replacing the saved default) and is refused admin work in one line
    assert run("login", server.url, "--key", key).exit_code == 0
    error = _one_error_line(run("user", "create", _name("nope")))
    assert "needs a server administrator" in error
    put = run("artifact", "put", str(saved), "--name", f"{team}/proj/creds")
    assert f"is a viewer of entity '{team}'" in _one_error_line(put)
    mine = run("artifact", "put", str(saved), "--name", "proj/creds")
    assert mine.exit_code == 0 and f"{user}/proj/creds:v0" in mine.stdout  # the default entity is the user's


def test_environment_overrides_the_saved_login(
    run, server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("login", server.url, "--key", ADMIN_KEY).exit_code == 0
    monkeypatch.setenv("ARCHIVIST_API_KEY", "ak_wrong")
    assert "not valid" in _one_error_line(run("user", "list"))


def test_clear_errors_without_a_server(run, server: ServerProcess) -> None:
    assert "no server chosen" in _one_error_line(run("user", "list"))
    assert "not valid" in _one_error_line(run("login", server.url, "--key", "ak_bad"))
    assert "invalid server URL" in _one_error_line(run("login", "ftp://x", "--key", "k"), code=2)


def test_db_upgrade(run, tmp_path: Path) -> None:
    result = run("db", "upgrade", "--db", f"sqlite:///{tmp_path}/new.sqlite")
    assert result.exit_code == 0, result.stderr
    assert f"schema revision {HEAD_REVISION}" in result.stdout
    assert "unsupported database URL" in _one_error_line(run("db", "upgrade", "--db", "mysql://x/y"), code=2)


def test_users_manage_their_own_keys_and_see_their_teams(run, server: ServerProcess) -> None:
    assert run("login", server.url, "--key", ADMIN_KEY).exit_code == 0
    user, other, team = _name("bea"), _name("cid"), _name("lab")
    user_key = run("user", "create", user).stdout.splitlines()[-1]
    assert run("user", "create", other).exit_code == 0
    other_key_id = run("key", "list", "--user", other).stdout.split("\t")[0]
    assert other_key_id.startswith("kid_")
    assert run("team", "create", team).exit_code == 0
    assert run("team", "add", team, user, "--role", "member").exit_code == 0
    listed = json.loads(run("team", "list", "--json").stdout)
    assert {"name": team, "role": None, "members": 1} in listed  # the server admin sees every team

    assert run("login", server.url, "--key", user_key).exit_code == 0
    assert run("team", "list").stdout.strip() == f"{team}\tmember\t1 members"
    created = run("key", "create", "-d", "laptop")
    assert created.exit_code == 0, created.stderr
    new_key = created.stdout.splitlines()[-1]
    mine = json.loads(run("key", "list", "--json").stdout)
    assert [key["description"] for key in mine] == ["first key", "laptop"]
    assert {key["user"] for key in mine} == {user}
    laptop_id = mine[1]["id"]
    # another user's key id is answered as absent, and that key keeps working
    assert f"no API key with id {other_key_id!r}" in _one_error_line(run("key", "revoke", other_key_id))
    assert "needs a server administrator" in _one_error_line(run("key", "list", "--user", other))
    assert run("key", "revoke", laptop_id).stdout.strip() == f"Revoked API key {laptop_id} of {user!r}."
    assert run("login", server.url, "--key", new_key).exit_code == 1  # the revoked key is refused

    assert run("login", server.url, "--key", user_key).exit_code == 0
    assert "needs" in _one_error_line(run("team", "remove", team, user))  # a member cannot remove
    assert run("login", server.url, "--key", ADMIN_KEY).exit_code == 0
    assert run("team", "remove", team, user).stdout.strip() == f"{user!r} is no longer member of {team!r}."
    assert f"{user!r} is not a member of {team!r}" in _one_error_line(run("team", "remove", team, user))
    assert "personal entity" in _one_error_line(run("team", "remove", user, user), code=2)


def test_a_disabled_users_keys_stop_working_until_enabled(run, server: ServerProcess, tmp_path: Path) -> None:
    assert run("login", server.url, "--key", ADMIN_KEY).exit_code == 0
    user = _name("dee")
    key = run("user", "create", user).stdout.splitlines()[-1]
    second = run("key", "create", "--user", user).stdout.splitlines()[-1]
    assert run("user", "disable", user).exit_code == 0
    assert f"{user}\tmember\t" in run("user", "list").stdout and "\tdisabled" in run("user", "list").stdout
    assert {"name": user, "disabled": True}.items() <= next(
        entry for entry in json.loads(run("user", "list", "--json").stdout) if entry["name"] == user
    ).items()
    assert "cannot disable yourself" in _one_error_line(run("user", "disable", "admin"), code=2)

    for refused in (key, second):
        assert "not valid" in _one_error_line(run("login", server.url, "--key", refused))
    assert run("login", server.url, "--key", ADMIN_KEY).exit_code == 0
    assert run("user", "enable", user).stdout.strip() == f"Enabled user {user!r}."
    login = run("login", server.url, "--key", key)
    assert login.exit_code == 0 and f"as {user!r}" in login.stdout
    assert run("whoami").stdout.strip() == f"{user} at {server.url}"


def test_logout_forgets_the_saved_key_and_the_commands_use_the_embedded_store_again(
    run, server: ServerProcess, tmp_path: Path
) -> None:
    saved = tmp_path / "config" / "archivist" / "credentials.json"
    assert run("logout").stdout.strip() == "Not logged in to any server: nothing to forget."
    assert run("login", server.url, "--key", ADMIN_KEY).exit_code == 0
    assert run("whoami").stdout.strip() == f"admin at {server.url}, a server administrator"
    other = "http://127.0.0.1:9"
    wrong = run("logout", other)
    assert wrong.exit_code == 2 and f"no login saved for {other} (saved: {server.url})" in wrong.stderr

    out = run("logout")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip() == f"Logged out of {server.url}: its key is no longer saved in {saved}."
    assert not saved.exists()
    assert run("whoami").stdout.strip() == f"local (no server: the embedded store at {tmp_path / 'home'})"
