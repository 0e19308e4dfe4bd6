"""``archivist.login()`` against a real server: it stores what ``archivist login`` stores,
and the runs and queries after it use that server."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import archivist
from archivist.cli.main import cli
from archivist.client.admin import AdminClient
from archivist.core.errors import AuthenticationError, CommError, UsageError
from archivist.sdk import session
from archivist.sdk.context import reset_contexts
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess

NAMES = ("BASE_URL", "API_KEY", "ENTITY", "PROJECT", "MODE")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A config folder, store and working folder of the test's own; no server named yet."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("ARCHIVIST_DIR", str(tmp_path / "home"))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
    for name in NAMES:
        monkeypatch.delenv(f"ARCHIVIST_{name}", raising=False)
        monkeypatch.delenv(f"WANDB_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    reset_contexts()
    yield tmp_path / "config"
    session.teardown()
    reset_contexts()


def _user_key(server: ServerProcess) -> tuple[str, str]:
    admin = AdminClient(server.url, ADMIN_KEY)
    try:
        created = admin.create_user(f"u-{uuid.uuid4().hex[:8]}")
    finally:
        admin.close()
    return created.user.name, created.key.key


def test_login_stores_what_the_command_stores(
    config_home: Path, server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, key = _user_key(server)
    assert archivist.login(key=key, host=server.url + "/") is True
    saved = config_home / "archivist" / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cli-config"))
    done = CliRunner().invoke(cli, ["login", server.url + "/", "--key", key])
    assert done.exit_code == 0, done.stderr
    by_cli = tmp_path / "cli-config" / "archivist" / "credentials.json"
    assert (
        json.loads(saved.read_text())
        == json.loads(by_cli.read_text())
        == {
            "base_url": server.url,
            "keys": {server.url: key},
        }
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home.parent / "config"))
    reset_contexts()
    assert archivist.api.default_entity == user  # the saved login chooses the server
    Path("w.bin").write_bytes(b"w")
    with archivist.init(project="p") as run:
        assert run.entity == user
        run.log_artifact("w.bin", name="weights", type="model").wait()
    assert archivist.Api(api_key=ADMIN_KEY).artifact(f"{user}/p/weights:latest").type == "model"


def test_login_switches_a_process_that_used_the_embedded_store(
    config_home: Path, server: ServerProcess
) -> None:
    user, key = _user_key(server)
    assert archivist.api.default_entity == "local"  # no server yet: the embedded store
    archivist.login(key=key, host=server.url)
    assert archivist.api.default_entity == user


def test_a_bad_key_is_refused_and_nothing_is_saved(config_home: Path, server: ServerProcess) -> None:
    with pytest.raises(AuthenticationError):
        archivist.login(key="ak_not-a-key", host=server.url)
    with pytest.raises(CommError, match="cannot reach"):
        archivist.login(key="ak_x", host="http://127.0.0.1:9")
    assert not (config_home / "archivist" / "credentials.json").exists()


def test_login_without_a_server_or_a_key(
    config_home: Path, server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert archivist.login() is True  # the embedded store needs no login
    with pytest.raises(UsageError, match="needs a server"):
        archivist.login(key="ak_x")
    assert not config_home.exists()
    _user, key = _user_key(server)
    archivist.login(key=key, host=server.url)
    assert archivist.login() is True  # the saved key for the saved server: nothing asked
    assert archivist.login(verify=True) is True
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(UsageError, match=rf"no API key for {server.url}.*WANDB_API_KEY"):
        archivist.login(relogin=True)  # a new key is wanted, and there is no terminal to ask


def test_w_and_b_environment_names_a_key_that_login_verifies(
    config_home: Path, server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, key = _user_key(server)
    monkeypatch.setenv("WANDB_BASE_URL", server.url)
    monkeypatch.setenv("WANDB_API_KEY", key)
    assert archivist.login(verify=True) is True
    assert not config_home.exists()  # a key from the environment is not written anywhere
    assert archivist.api.default_entity == user
    monkeypatch.setenv("WANDB_API_KEY", "ak_revoked-or-wrong")
    with pytest.raises(AuthenticationError):
        archivist.login(verify=True)
