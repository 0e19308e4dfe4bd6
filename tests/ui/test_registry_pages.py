"""A registry path works on the UI's pages like any path: the version page of a link, its
files (the source's) and a link back to the source (``archivist ui`` over the sample store)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from markupsafe import escape

from tests.ui.pages import get_ok
from tests.ui.sample_data import ENTITY, PROJECT, REGISTERED_MODEL

LINK = f"/ui/artifacts/organization/wandb-registry-model/{quote(REGISTERED_MODEL)}"


def test_the_version_page_of_a_link_names_its_source(client: httpx.Client) -> None:
    page = get_ok(client, f"{LINK}/production")
    assert f'href="/ui/artifacts/{ENTITY}/{PROJECT}/classifier/v0"' in page
    assert f"{ENTITY}/{PROJECT}/classifier:v0" in page
    assert str(escape(f'run.use_artifact("wandb-registry-model/{REGISTERED_MODEL}:v0")')) in page
    assert "sweep-0" in page  # the source's consumers are the link's


def test_a_links_files_are_its_sources(client: httpx.Client) -> None:
    assert "model.json" in get_ok(client, f"{LINK}/v0/files")
    raw = client.get(f"{LINK}/v0/files/raw", params={"path": "model.json"})
    assert raw.status_code == 200 and raw.text == '{"weights": [1, 2, 3]}'


def test_a_source_page_lists_its_links_and_no_source(client: httpx.Client) -> None:
    page = get_ok(client, f"/ui/artifacts/{ENTITY}/{PROJECT}/classifier/v0")
    assert 'id="link-source"' not in page
    assert f'href="{LINK}/v0"' in page
    assert f"wandb-registry-model/{REGISTERED_MODEL}:v0" in page
    assert 'id="registry-links"' not in get_ok(client, f"/ui/artifacts/{ENTITY}/{PROJECT}/images/v0")


def test_a_registry_collections_page_points_to_its_registry_view(client: httpx.Client) -> None:
    page = get_ok(client, LINK)
    assert f'id="registry-view" href="/ui/registries/model/{quote(REGISTERED_MODEL)}"' in page
    assert 'id="registry-view"' not in get_ok(client, f"/ui/artifacts/{ENTITY}/{PROJECT}/classifier")
