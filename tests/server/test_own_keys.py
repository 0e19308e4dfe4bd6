"""The self-service key calls and the new account calls take ids and names from the request:
padded, foreign and malformed values are refused (and never revoke or change anything)."""

from __future__ import annotations

import httpx
import pytest

from archivist.client.admin import AdminClient
from tests.fixtures.archivist_server import ServerProcess
from tests.server.conftest import _name

API = "/api/v1"


def _post(server: ServerProcess, key: str, path: str, body: object) -> httpx.Response:
    return httpx.post(f"{server.url}{API}{path}", json=body, headers={"Authorization": f"Bearer {key}"})


def _live(server: ServerProcess, key: str) -> bool:
    answer = httpx.get(f"{server.url}{API}/identity", headers={"Authorization": f"Bearer {key}"})
    return answer.status_code == 200


@pytest.fixture
def user_key(admin: AdminClient) -> tuple[str, str]:
    """(the key, its key id) of a new user."""
    created = admin.create_user(_name("kim"))
    return created.key.key, created.key.record.id


def test_padded_foreign_and_malformed_key_ids_revoke_nothing(
    server: ServerProcess, admin: AdminClient, user_key: tuple[str, str]
) -> None:
    key, key_id = user_key
    foreign = admin.create_user(_name("lou")).key
    for bad in (f" {key_id}", f"{key_id} ", key_id.upper(), key_id + "0", key_id[:-1], "", foreign.record.id):
        answer = _post(server, key, "/keys/mine/revoke", {"key_id": bad})
        assert answer.status_code == 404, (bad, answer.text)
        assert "no API key with id" in answer.json()["error"]["message"]
    for malformed in (12, None, ["kid_"], {"id": key_id}):
        answer = _post(server, key, "/keys/mine/revoke", {"key_id": malformed})
        assert answer.status_code in (400, 422), (malformed, answer.text)
    assert _live(server, key) and _live(server, foreign.key)
    assert _post(server, key, "/keys/mine/revoke", {"key_id": key_id}).json()["revoked"] is True
    assert not _live(server, key)


def test_malformed_names_for_disable_and_remove_are_refused(
    server: ServerProcess, admin: AdminClient, user_key: tuple[str, str]
) -> None:
    from tests.fixtures.archivist_server import ADMIN_KEY

    key, _ = user_key
    for bad in ("../admin", "", " admin", "a" * 300, 7):
        answer = _post(server, ADMIN_KEY, "/admin/users/disable", {"name": bad})
        assert answer.status_code in (400, 404, 422), (bad, answer.text)
        remove = _post(server, ADMIN_KEY, "/admin/teams/members/remove", {"team": bad, "user": "admin"})
        assert remove.status_code in (400, 403, 404, 422), (bad, remove.text)
    assert _post(server, ADMIN_KEY, "/admin/users/disable", {"name": "admin"}).status_code == 400
    not_bool = _post(server, ADMIN_KEY, "/admin/users/disable", {"name": "admin", "disabled": "no"})
    assert not_bool.status_code in (400, 422)
    assert _live(server, ADMIN_KEY) and _live(server, key)
