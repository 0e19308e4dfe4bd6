"""The login file: private, keyed by server, and overridden by the environment."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from archivist.client.credentials import credentials_path, forget_login, load_credentials, save_login
from archivist.client.factory import server_settings
from archivist.core.errors import InvalidInputError
from archivist.core.settings import Settings


def _settings(tmp_path: Path, **changes: object) -> Settings:
    base = Settings(home=str(tmp_path / "h"), cache_dir=str(tmp_path / "c"), config_dir=str(tmp_path / "cfg"))
    return base.evolve(**changes)


def test_saved_login_is_private_and_chooses_the_server(tmp_path: Path) -> None:
    path = credentials_path(str(tmp_path / "cfg"))
    assert server_settings(_settings(tmp_path)) == (None, None)  # no file: the embedded store
    save_login(path, "http://a:8080/", "key-a")
    save_login(path, "http://b:8080", "key-b")
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    assert load_credentials(path).keys == {"http://a:8080": "key-a", "http://b:8080": "key-b"}
    assert server_settings(_settings(tmp_path)) == ("http://b:8080", "key-b")  # the last login
    assert server_settings(_settings(tmp_path, base_url="http://a:8080")) == ("http://a:8080", "key-a")
    assert server_settings(_settings(tmp_path, api_key="env-key")) == ("http://b:8080", "env-key")
    assert server_settings(_settings(tmp_path, config_dir=None)) == (None, None)


def test_a_damaged_login_file_is_a_clear_error(tmp_path: Path) -> None:
    path = Path(credentials_path(str(tmp_path / "cfg")))
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(InvalidInputError, match="archivist login"):
        server_settings(_settings(tmp_path))


def test_settings_find_the_config_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"XDG_CONFIG_HOME": str(tmp_path)})
    assert settings.config_dir == str(tmp_path / "archivist")


def test_forgetting_a_login_keeps_the_other_servers(tmp_path: Path) -> None:
    path = credentials_path(str(tmp_path / "cfg"))
    save_login(path, "http://a:8080", "key-a")
    save_login(path, "http://b:8080", "key-b")
    assert forget_login(path, "http://b:8080/") is True  # the default server: no default is left
    assert load_credentials(path).keys == {"http://a:8080": "key-a"}
    assert server_settings(_settings(tmp_path)) == (None, None)
    assert server_settings(_settings(tmp_path, base_url="http://a:8080")) == ("http://a:8080", "key-a")
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    assert forget_login(path, "http://b:8080") is False
    assert forget_login(path, "http://a:8080") is True
    assert not Path(path).exists()  # no key left: no file
