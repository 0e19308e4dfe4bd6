"""The table viewer and its charts on `archivist server`: every role of the team reads a
table, its images (through the version's file route) and its chart; a user of another
team, a user with no role, a revoked key and a browser that never logged in do not."""

from __future__ import annotations

import re
import uuid
from contextlib import closing
from dataclasses import dataclass

import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.models import RunRef, RunSpec
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ServerProcess
from tests.server.conftest import Team
from tests.server.test_ui_on_server import _browser
from tests.ui.sample_data import png_bytes
from tests.ui.table_data import chart_config, image_cell, table_json

PNG = png_bytes(8, 6, (10, 160, 90))
IMAGE = "media/images/0123456789abcdef0123/cell.png"
ROWS = 75


@dataclass
class Shared:
    page: str
    """The table's file view."""
    image: str
    """The raw route of the image a cell names."""
    keys: dict[str, str]
    other_team: str
    run_page: str


@pytest.fixture
def shared(server: ServerProcess, admin: AdminClient, team: Team) -> Shared:
    """A table with an image column and a chart, logged by the team's member in a run
    whose config records the chart; plus keys of another team's member and a revoked key."""
    member = team.backends["member"]
    ref = RunRef(team.name, "proj", f"run-{uuid.uuid4().hex[:8]}")
    config = {
        "_wandb": {
            "visualize": {"acc": chart_config("acc", "wandb/line/v0", {"x": "step", "y": "acc"}, "Acc")}
        }
    }
    member.upsert_run(RunSpec(ref=ref, name="eval", config=config))
    rows = [[step, step / ROWS, image_cell(IMAGE, PNG)] for step in range(ROWS)]
    files = {"acc_table.table.json": table_json(["step", "acc", "image"], rows).encode(), IMAGE: PNG}
    version = log_files(member, "scores", files, entity=team.name, run=ref).version
    base = f"/ui/artifacts/{team.name}/proj/scores/v{version.version_index}/files"
    keys = {role: team.keys[role] for role in ("viewer", "member", "admin", "outsider")}
    other = f"other-{uuid.uuid4().hex[:8]}"
    admin.create_team(other)
    stranger = admin.create_user(f"stranger-{uuid.uuid4().hex[:8]}")
    admin.set_member(other, stranger.user.name, "member")
    keys["other-team"] = stranger.key.key
    return Shared(
        f"{base}/view?path=acc_table.table.json",
        f"{base}/raw?path={IMAGE}&inline=1",
        keys,
        other,
        f"/ui/runs/{team.name}/proj/{ref.run_id}",
    )


@pytest.mark.parametrize("role", ["viewer", "member", "admin"])
def test_every_role_of_the_team_sees_the_table_its_images_and_chart(
    server: ServerProcess, shared: Shared, role: str
) -> None:
    with closing(_browser(server, shared.keys[role])) as browser:
        page = browser.get(f"{shared.page}&sort=acc&order=desc&page=2")
        assert page.status_code == 200, page.text[:300]
        assert re.findall(r'<tr data-row="(\d+)">', page.text) == [str(i) for i in range(24, -1, -1)]
        assert 'data-chart-kind="line"' in page.text and "<title>Acc</title>" in page.text
        source = re.search(r'<img class="cell-image"[^>]* src="([^"]+)"', page.text)
        assert source is not None
        image = browser.get(source.group(1).replace("&amp;", "&"))
        assert image.status_code == 200 and image.content == PNG
        run_page = browser.get(shared.run_page)
        assert run_page.status_code == 200 and run_page.text.count('data-chart-kind="line"') == 1


@pytest.mark.parametrize("role", ["outsider", "other-team"])
def test_a_user_without_a_role_in_the_team_is_refused(
    server: ServerProcess, shared: Shared, role: str
) -> None:
    with closing(_browser(server, shared.keys[role])) as browser:
        for url in (shared.page, shared.image, shared.run_page):
            refused = browser.get(url)
            assert refused.status_code == 403, f"{role} {url}: {refused.status_code}"
            assert "Acc" not in refused.text and PNG not in refused.content


def test_no_login_and_a_revoked_key_are_sent_to_the_login_page(
    server: ServerProcess, admin: AdminClient, team: Team, shared: Shared
) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for url in (shared.page, shared.image):
            answer = anonymous.get(url)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")
    created = admin.create_user(f"soon-revoked-{uuid.uuid4().hex[:8]}")
    admin.set_member(team.name, created.user.name, "viewer")
    with closing(_browser(server, created.key.key)) as browser:
        assert browser.get(shared.page).status_code == 200
        admin.revoke_key(created.key.record.id)
        for url in (shared.page, shared.image):
            answer = browser.get(url)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")


@pytest.mark.parametrize(
    "selector", ["v0 ", "%20v0", "v00x", "v-1", "v99999999999999999999", "..", "latest%2F..%2F..", "a" * 300]
)
def test_padded_and_malformed_selectors_find_nothing(
    server: ServerProcess, shared: Shared, team: Team, selector: str
) -> None:
    with closing(_browser(server, shared.keys["viewer"])) as browser:
        url = shared.page.replace("/scores/v0/", f"/scores/{selector}/")
        answer = browser.get(url)
        assert answer.status_code in (400, 404), f"{selector!r}: {answer.status_code}"
        assert "Traceback" not in answer.text and 'data-row="' not in answer.text


def test_a_foreign_versions_media_path_is_not_served(server: ServerProcess, shared: Shared) -> None:
    """The other team logs the same image bytes at the same path: each user reads them only
    through a version of their own team, never through the other's."""
    with closing(HttpBackend(server.url, shared.keys["other-team"])) as stranger_backend:
        theirs = log_files(stranger_backend, "copy", {IMAGE: PNG}, entity=shared.other_team).version
    their_image = (
        f"/ui/artifacts/{shared.other_team}/proj/copy/v{theirs.version_index}/files/raw?path={IMAGE}&inline=1"
    )
    with closing(_browser(server, shared.keys["other-team"])) as stranger:
        assert stranger.get(their_image).content == PNG
        assert stranger.get(shared.image).status_code == 403
        assert stranger.get(shared.page).status_code == 403
    with closing(_browser(server, shared.keys["viewer"])) as viewer:
        assert viewer.get(their_image).status_code == 403
        wrong_path = viewer.get(shared.image.replace("cell.png", "other.png"))
        assert wrong_path.status_code == 404
        assert viewer.get(shared.page.replace("acc_table", "../acc_table")).status_code == 404
