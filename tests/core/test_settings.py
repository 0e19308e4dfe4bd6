"""Settings read from the environment: the on/off switches."""

from __future__ import annotations

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
