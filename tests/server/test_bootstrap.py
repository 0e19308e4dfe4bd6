"""The first administrator: from ARCHIVIST_ADMIN_KEY or a printed key, once, even
when several server processes start at the same moment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archivist.client.admin import AdminClient
from tests.fixtures.archivist_server import launch_server, stop_server, wait_until_healthy
from tests.metadata.postgres import temporary_database

pytestmark = pytest.mark.slow
PRINTED_KEY = re.compile(r"shown only this once:\n\s+(ak_\S+)")


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/meta.sqlite"
    else:
        with temporary_database() as url:
            yield url


def _admin_keys(url: str, key: str) -> list[str]:
    admin = AdminClient(url, key)
    try:
        users = admin.list_users()
        assert [(u.name, u.is_admin) for u in users] == [("admin", True)]
        return [k.prefix for k in admin.list_keys("admin")]
    finally:
        admin.close()


def test_admin_key_from_the_environment_is_added_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/meta.sqlite"
    key = "ak_operator-chosen-secret-0001"
    for start in range(2):  # a restart adds nothing
        server = wait_until_healthy(
            launch_server(db_url, tmp_path / "blobs", tmp_path / f"log-{start}", admin_key=key)
        )
        assert _admin_keys(server.url, key) == [key[:12]]
        assert "shown only this once" not in server.log_text()
        assert stop_server(server) == 0


def test_without_a_key_the_first_start_prints_one(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/meta.sqlite"
    first = wait_until_healthy(launch_server(db_url, tmp_path / "blobs", tmp_path / "log-1", admin_key=None))
    printed = PRINTED_KEY.findall(first.log_text())
    assert len(printed) == 1 and f"archivist login {first.url}" in first.log_text()
    assert stop_server(first) == 0
    again = wait_until_healthy(launch_server(db_url, tmp_path / "blobs", tmp_path / "log-2", admin_key=None))
    assert PRINTED_KEY.findall(again.log_text()) == []  # printed once, never again
    assert _admin_keys(again.url, printed[0]) == [printed[0][:12]]
    stop_server(again)


@pytest.mark.parametrize(
    ("kind", "admin_key"), [("sqlite", None), ("postgres", "ak_shared-by-both-processes")]
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
                assert _admin_keys(server.url, key) == [key[:12]]
        finally:
            for server in servers:
                stop_server(server)
