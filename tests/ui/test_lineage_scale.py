"""The lineage view stays usable at 500 nodes: one dataset version used by 20 runs
that log 24 versions each (1 + 20 + 480 = 501 nodes), built through the SDK.

Collapsed, the two big levels are two cluster nodes; expanded, all 501 nodes are
laid out and clickable. The figures are printed (run with ``-s`` to see them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from archivist.core.settings import Settings
from archivist.server.ui.local_app import create_local_ui_app
from archivist.service.embedded import LocalBackend
from tests.ui.browser import click_node, screenshot, visible_node_count, wait_for_graph
from tests.ui.live_server import serving
from tests.ui.pages import embedded_json
from tests.ui.sample_data import sdk_environment

RUNS = 20
OUTPUTS_PER_RUN = 24
NODES = 1 + RUNS + RUNS * OUTPUTS_PER_RUN
PAGE_SECONDS = 2.0
"""Generous bounds for a loaded 2-core CI machine; the measured figures are printed."""
BROWSER_SECONDS = 15.0


def build_wide_store(root: Path) -> Path:
    import archivist

    home, work = root / "home", root / "work"
    work.mkdir(parents=True)
    with sdk_environment(home, work):
        with archivist.init(project="wide", job_type="ingest", name="seed") as run:
            seed = archivist.Artifact("seed", type="dataset")
            with seed.new_file("seed.txt") as handle:
                handle.write("seed")
            run.log_artifact(seed).wait()
        for i in range(RUNS):
            with archivist.init(project="wide", job_type="fan-out", name=f"fan-{i}") as run:
                run.use_artifact("seed:latest")
                for j in range(OUTPUTS_PER_RUN):
                    out = archivist.Artifact(f"out-{j}", type="result")
                    with out.new_file("value.txt") as handle:
                        handle.write(f"{i}-{j}")
                    run.log_artifact(out)
    return home


@pytest.fixture(scope="module")
def wide_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = build_wide_store(tmp_path_factory.mktemp("ui-wide"))
    settings = Settings.from_env(
        {"ARCHIVIST_DIR": str(home), "ARCHIVIST_CACHE_DIR": str(home.parent / "cache")}
    )
    with serving(create_local_ui_app(LocalBackend(settings))) as url:
        yield url


SEED_LINEAGE = "/ui/artifacts/local/wide/seed/v0/lineage?up=0&down=2"


def test_the_page_of_a_500_node_graph_answers_quickly(wide_ui: str) -> None:
    with httpx.Client(base_url=wide_ui, timeout=60) as client:
        client.get(SEED_LINEAGE)  # warm up
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(SEED_LINEAGE)
            timings.append(time.perf_counter() - started)
    graph = embedded_json(response.text, "lineage-data")
    assert len(graph["nodes"]) == NODES
    assert sorted(len(c["members"]) for c in graph["clusters"]) == [RUNS, RUNS * OUTPUTS_PER_RUN]
    best = min(timings)
    print(f"\nlineage page with {NODES} nodes: {best * 1000:.0f} ms (best of 3)")
    assert best < PAGE_SECONDS


def test_500_nodes_collapse_expand_and_stay_clickable(page: Page, wide_ui: str) -> None:
    started = time.perf_counter()
    page.goto(wide_ui + SEED_LINEAGE)
    wait_for_graph(page)
    collapsed_seconds = time.perf_counter() - started
    assert visible_node_count(page) == 3
    started = time.perf_counter()
    page.locator("#explode-all").click()
    wait_for_graph(page, timeout=BROWSER_SECONDS * 1000)
    expanded_seconds = time.perf_counter() - started
    assert visible_node_count(page) == NODES
    print(f"\n{NODES} nodes: collapsed view ready in {collapsed_seconds:.2f} s, ", end="")
    print(f"expanded in {expanded_seconds:.2f} s")
    assert collapsed_seconds < BROWSER_SECONDS and expanded_seconds < BROWSER_SECONDS
    screenshot(page, "lineage-500-nodes")
    target = page.evaluate("() => window.archivistGraph.nodes('[kind = \"run\"]')[5].id()")
    page.evaluate(
        "id => { const cy = window.archivistGraph; cy.zoom(1); cy.center(cy.getElementById(id)); }", target
    )
    click_node(page, target)
    expect(page.locator("#lineage-panel h3")).to_contain_text("fan-")
    expect(page.locator("#panel-lineage")).to_have_attribute("href", f"/ui/runs/{target}/lineage?up=0&down=2")
