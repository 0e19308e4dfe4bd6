"""A server process per test module (SQLite + folder), and clients of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server

WEBHOOK_HOST = "127.0.0.9"
"""The one private address the test server's webhooks may name (other loopback addresses
are refused, as on any server)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("server")
    allowed = {"ARCHIVIST_WEBHOOK_ALLOW": WEBHOOK_HOST}  # a loopback address no one listens on
    with archivist_server(
        f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log", env=allowed
    ) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> Iterator[AdminClient]:
    client = AdminClient(server.url, ADMIN_KEY)
    yield client
    client.close()


@pytest.fixture
def admin_backend(server: ServerProcess) -> Iterator[HttpBackend]:
    backend = HttpBackend(server.url, ADMIN_KEY)
    yield backend
    backend.close()


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Team:
    name: str
    keys: dict[str, str]  # role -> the API key of a user with that role ("outsider": none)
    backends: dict[str, HttpBackend]


@pytest.fixture
def team(admin: AdminClient, server: ServerProcess) -> Iterator[Team]:
    """A team with a member, a viewer and an admin, plus an outsider; a backend per user."""
    team = Team(_name("vision"), {}, {})
    admin.create_team(team.name)
    for role in ("member", "viewer", "admin", "outsider"):
        created = admin.create_user(_name(role))
        if role != "outsider":
            admin.set_member(team.name, created.user.name, role)
        team.keys[role] = created.key.key
        team.backends[role] = HttpBackend(server.url, created.key.key)
    yield team
    for backend in team.backends.values():
        backend.close()
