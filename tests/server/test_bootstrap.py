"""The first administrator: from ARCHIVIST_ADMIN_KEY or a printed key, once, even
when several server processes start at the same moment; never again once an
administrator exists, and never with a short key."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.errors import AuthenticationError
from tests.fixtures.archivist_server import launch_server, stop_server, wait_until_healthy
from tests.metadata.postgres import temporary_database

pytestmark = pytest.mark.slow
PRINTED_KEY = re.compile(r"shown only this once:\n\s+(ak_\S+)")
KEY_ID = re.compile(r"kid_[0-9a-f]{12}")
IGNORED = "ARCHIVIST_ADMIN_KEY was ignored"


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/meta.sqlite"
    else:
        with temporary_database() as url:
            yield url


def _admin_keys(url: str, key: str) -> list[str]:
    """The key ids of the administrator's keys; each is random, not a piece of the key."""
    admin = AdminClient(url, key)
    try:
        users = admin.list_users()
        assert [(u.name, u.is_admin) for u in users] == [("admin", True)]
        key_ids = [k.id for k in admin.list_keys("admin")]
    finally:
        admin.close()
    assert all(KEY_ID.fullmatch(key_id) and key_id[4:] not in key for key_id in key_ids), key_ids
    return key_ids


def test_admin_key_from_the_environment_is_added_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/meta.sqlite"
    key = "ak_operator-chosen-secret-0001-long-enough"
    first_ids = None
    for start in range(2):  # a restart adds nothing
        server = wait_until_healthy(
            launch_server(db_url, tmp_path / "blobs", tmp_path / f"log-{start}", admin_key=key)
        )
        key_ids = _admin_keys(server.url, key)
        assert len(key_ids) == 1 and key_ids == (first_ids or key_ids)
        first_ids = key_ids
        assert "shown only this once" not in server.log_text() and IGNORED not in server.log_text()
        assert stop_server(server) == 0


def test_a_restart_with_another_admin_key_adds_no_key(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/meta.sqlite"
    first_key, other_key = "ak_the-first-operator-key-0123456789", "ak_a-key-planted-in-the-environment-987"
    first = wait_until_healthy(launch_server(db_url, tmp_path / "blobs", tmp_path / "log-1", first_key))
    assert stop_server(first) == 0
    again = wait_until_healthy(launch_server(db_url, tmp_path / "blobs", tmp_path / "log-2", other_key))
    try:
        ignored = [line for line in again.log_text().splitlines() if IGNORED in line]
        assert len(ignored) == 1, again.log_text()
        assert len(_admin_keys(again.url, first_key)) == 1
        with pytest.raises(AuthenticationError):
            HttpBackend(again.url, other_key).default_entity()
    finally:
        stop_server(again)


@pytest.mark.parametrize("short_key", ["x", "ak_" + "s" * 28])
def test_a_short_admin_key_is_refused_in_one_line(tmp_path: Path, short_key: str) -> None:
    server = launch_server(
        f"sqlite:///{tmp_path}/meta.sqlite", tmp_path / "blobs", tmp_path / "log", short_key
    )
    try:
        code = server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        stop_server(server)
        raise
    lines = server.log_text().splitlines()
    assert code == 2 and len(lines) == 1, server.log_text()  # a wrong setting: a usage mistake
    assert lines[0].startswith("archivist: error: ARCHIVIST_ADMIN_KEY is too short")
    assert "at least 32" in lines[0] and short_key not in lines[0]


def test_without_a_key_the_first_start_prints_one(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/meta.sqlite"
    first = wait_until_healthy(launch_server(db_url, tmp_path / "blobs", tmp_path / "log-1", admin_key=None))
    printed = PRINTED_KEY.findall(first.log_text())
    assert len(printed) == 1 and f"archivist login {first.url}" in first.log_text()
    assert stop_server(first) == 0
    again = wait_until_healthy(launch_server(db_url, tmp_path / "blobs", tmp_path / "log-2", admin_key=None))
    assert PRINTED_KEY.findall(again.log_text()) == []  # printed once, never again
    assert len(_admin_keys(again.url, printed[0])) == 1
    stop_server(again)


@pytest.mark.parametrize(
    ("kind", "admin_key"), [("sqlite", None), ("postgres", "ak_shared-by-both-processes-0123456789")]
)
def test_two_processes_starting_at_once_make_one_admin(
    kind: str, admin_key: str | None, tmp_path: Path
) -> None:
    with database(kind, tmp_path) as db_url:
        servers = [
            launch_server(db_url, tmp_path / "blobs", tmp_path / f"log-{i}", admin_key) for i in range(2)
        ]
        try:
            for server in servers:
                wait_until_healthy(server)
            printed = [key for server in servers for key in PRINTED_KEY.findall(server.log_text())]
            key = admin_key or printed[0]
            assert len(printed) == (0 if admin_key else 1)
            for server in servers:
                assert len(_admin_keys(server.url, key)) == 1
        finally:
            for server in servers:
                stop_server(server)
