"""The storage figures of the project and collection pages: the bytes the scope holds, only
it, and with others (``service.storage_usage``), as the embedded store computes them."""

from __future__ import annotations

import re

import httpx

from archivist.core.settings import Settings
from archivist.service.embedded import LocalBackend
from tests.ui.pages import get_ok
from tests.ui.sample_data import PROJECT, SampleStore


def _figures(page: str) -> tuple[int, int]:
    exclusive = re.search(r'data-exclusive="(\d+)"', page)
    shared = re.search(r'data-shared="(\d+)"', page)
    assert exclusive and shared, page
    return int(exclusive.group(1)), int(shared.group(1))


def test_project_and_collection_pages_show_what_deleting_would_free(
    client: httpx.Client, sample: SampleStore
) -> None:
    backend = LocalBackend(Settings(home=str(sample.home), cache_dir=str(sample.home / "cache")))
    try:
        project = backend.storage_usage("local", PROJECT)
        images = backend.storage_usage("local", PROJECT, "images")
    finally:
        backend.close()
    assert project.total_bytes > images.total_bytes > 0
    page = get_ok(client, f"/ui/projects/local/{PROJECT}")
    assert 'id="storage"' in page and "only in this project" in page
    assert _figures(page) == (project.exclusive_bytes, project.shared_bytes)
    page = get_ok(client, f"/ui/artifacts/local/{PROJECT}/images")
    assert "only in this collection" in page and "deleting it would free this" in page
    assert _figures(page) == (images.exclusive_bytes, images.shared_bytes)
