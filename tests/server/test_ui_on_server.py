"""`archivist server` serves the web UI: an API key logs in, and the user's role in
an entity decides what they see and may edit (same rules as the API)."""

from __future__ import annotations

from contextlib import closing

import httpx

from archivist.client.admin import AdminClient
from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
from archivist.core.backend import Backend
from archivist.core.manifest import hash_bytes
from archivist.core.models import RunFile, RunRef, RunSpec
from tests.client.artifact_logging import log_text
from tests.fixtures.archivist_server import ServerProcess
from tests.server.conftest import Team
from tests.ui.pages import csrf_token


def _browser(server: ServerProcess, key: str) -> httpx.Client:
    http = httpx.Client(base_url=server.url, timeout=30)
    page = http.get("/ui/login")
    assert page.status_code == 200
    answer = http.post(
        "/ui/login", data={"api_key": key, "next": "/ui/", "csrf_token": csrf_token(page.text)}
    )
    assert answer.status_code == 303, answer.text
    return http


def _logged(backend: Backend, entity: str) -> str:
    version = log_text(backend, "faces", "ui data", entity=entity).version
    return f"/ui/artifacts/{entity}/proj/faces/v{version.version_index}"


def test_the_ui_needs_a_login(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        response = http.get("/ui/projects/anyone")
        assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def test_roles_decide_what_the_ui_shows(server: ServerProcess, admin: AdminClient, team: Team) -> None:
    page = _logged(team.backends["member"], team.name)
    with closing(_browser(server, team.keys["member"])) as member:
        shown = member.get(page)
        assert shown.status_code == 200 and "faces" in shown.text
        assert 'id="add-alias"' in shown.text
    with closing(_browser(server, team.keys["viewer"])) as viewer:
        shown = viewer.get(page)
        assert shown.status_code == 200 and 'id="add-alias"' not in shown.text
        refused = viewer.post(f"{page}/aliases", data={"alias": "x", "csrf_token": csrf_token(shown.text)})
        assert refused.status_code == 403
    with closing(_browser(server, team.keys["outsider"])) as outsider:
        refused = outsider.get(page)
        assert refused.status_code == 403 and "no role in entity" in refused.text


def test_a_disabled_users_ui_session_and_keys_stop_working(
    server: ServerProcess, admin: AdminClient, team: Team
) -> None:
    page = _logged(team.backends["member"], team.name)
    name = team.backends["viewer"].identity().user
    with closing(_browser(server, team.keys["viewer"])) as browser:
        assert browser.get(page).status_code == 200
        admin.set_user_disabled(name, True)
        try:
            refused = browser.get(page)
            assert refused.status_code == 303 and refused.headers["location"].startswith("/ui/login")
            api = httpx.get(
                f"{server.url}/api/v1/identity", headers={"Authorization": f"Bearer {team.keys['viewer']}"}
            )
            assert api.status_code == 401
        finally:
            admin.set_user_disabled(name, False)
        assert browser.get(page).status_code == 200  # enabled again: the same session works


def test_a_runs_saved_file_is_served_to_readers_only(server: ServerProcess, team: Team) -> None:
    member = team.backends["member"]
    ref = RunRef(team.name, "proj", "saver")
    member.upsert_run(RunSpec(ref=ref))
    data = b"saved with the run"
    HttpBlobTransfer(member).upload_bytes(hash_bytes(data), data)
    member.add_run_files(ref, [RunFile("notes/model.txt", hash_bytes(data), len(data))])
    raw = f"/ui/runs/{team.name}/proj/saver/files/raw"
    with closing(_browser(server, team.keys["viewer"])) as viewer:
        shown = viewer.get(raw, params={"path": "notes/model.txt"})
        assert shown.status_code == 200 and shown.content == data
        assert "attachment" in shown.headers["content-disposition"]
        missing = viewer.get(raw, params={"path": "absent.txt"})
        assert missing.status_code == 404 and "absent.txt" in missing.text
    with closing(_browser(server, team.keys["outsider"])) as outsider:
        refused = outsider.get(raw, params={"path": "notes/model.txt"})
        assert refused.status_code == 403 and data.decode() not in refused.text


def test_the_ttl_control_follows_who_may_set_ttls(server: ServerProcess, team: Team) -> None:
    page = _logged(team.backends["member"], team.name)
    version_id = team.backends["member"].resolve_version(team.name, "proj", "faces", "latest").id
    with (
        closing(_browser(server, team.keys["member"])) as member,
        closing(_browser(server, team.keys["admin"])) as team_admin,
    ):
        assert 'id="edit-ttl"' in member.get(page).text  # the default: members set TTLs
        team.backends["admin"].set_ttl_editors(team.name, "admins")
        shown = member.get(page)
        assert shown.status_code == 200 and 'id="edit-ttl"' not in shown.text
        assert 'id="edit-description"' in shown.text  # other edits stay theirs
        posted = member.post(
            f"{page}/ttl", data={"mode": "custom", "days": "3", "csrf_token": csrf_token(shown.text)}
        )
        assert posted.status_code in (200, 303)  # not applied, silently (SPEC §6)
        assert team.backends["admin"].get_version(version_id).ttl_inherited
        assert 'id="edit-ttl"' in team_admin.get(page).text
