"""Settings read from the environment: the on/off switches, sizes and folders."""

from __future__ import annotations

import os

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.settings import Settings


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", False), ("off", False), ("No", False), ("1", True), ("ON", True), ("", True)]
)
def test_pack_small_blobs_switch(raw: str, expected: bool) -> None:
    settings = Settings.from_env({"ARCHIVIST_PACK_SMALL_BLOBS": raw, "ARCHIVIST_DIR": "/tmp/x"})
    assert settings.pack_small_blobs is expected


def test_pack_small_blobs_defaults_to_on() -> None:
    assert Settings.from_env({"ARCHIVIST_DIR": "/tmp/x"}).pack_small_blobs is True


def test_a_switch_that_is_not_one_is_named() -> None:
    with pytest.raises(InvalidInputError, match=r"ARCHIVIST_PACK_SMALL_BLOBS='maybe' is not a switch"):
        Settings.from_env({"ARCHIVIST_PACK_SMALL_BLOBS": "maybe"})


def test_the_cache_follows_xdg_cache_home_like_the_config_follows_xdg_config_home() -> None:
    settings = Settings.from_env({"XDG_CACHE_HOME": "/xdg/cache", "XDG_CONFIG_HOME": "/xdg/config"})
    assert settings.cache_dir == os.path.join("/xdg/cache", "archivist")
    assert settings.config_dir == os.path.join("/xdg/config", "archivist")
    explicit = Settings.from_env({"XDG_CACHE_HOME": "/xdg/cache", "ARCHIVIST_CACHE_DIR": "/mine"})
    assert explicit.cache_dir == "/mine"  # ARCHIVIST_CACHE_DIR wins
    default = Settings.from_env({})
    assert default.cache_dir == os.path.join(os.path.expanduser("~"), ".cache", "archivist")


@pytest.mark.parametrize("name", ["ARCHIVIST_CACHE_LIMIT", "ARCHIVIST_SPACE_RESERVE"])
def test_a_size_setting_that_is_not_a_size_is_named(name: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        Settings.from_env({name: "lots"})
    assert raised.value.message.startswith(f"{name}: invalid size 'lots'")
    assert "e.g. '10GB'" in raised.value.message


def test_size_settings_are_parsed() -> None:
    settings = Settings.from_env({"ARCHIVIST_CACHE_LIMIT": "5GB", "ARCHIVIST_SPACE_RESERVE": "0"})
    assert (settings.cache_limit, settings.space_reserve) == (5 * 10**9, 0)
    assert Settings.from_env({}).cache_limit is None
