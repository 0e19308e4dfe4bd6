"""End to end in Chromium: browse to a version, open files, click through the lineage
graph, compare versions, edit an alias, log in as a viewer, and check that script
payloads stay text. Screenshots of the main pages land in test-output/screenshots/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.ui.browser import click_node, node_id_by_label, screenshot, visible_node_count, wait_for_graph
from tests.ui.conftest import VIEWER_KEY, KeyServer
from tests.ui.sample_data import PROJECT, SWEEP_RUNS, XSS, XSS_RUN_NAME, SampleStore


def test_navigate_from_projects_to_a_version(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/")
    expect(page.locator("h1")).to_have_text("Projects of local")
    screenshot(page, "projects")
    page.get_by_role("link", name=PROJECT, exact=True).click()
    expect(page.locator("h1")).to_have_text(PROJECT)
    screenshot(page, "project")
    page.locator("section.type-group").get_by_role("link", name="images", exact=True).click()
    expect(page.locator("h1")).to_contain_text("images")
    screenshot(page, "collection")
    page.get_by_role("link", name="images:v1").first.click()
    expect(page.locator("h1")).to_have_text("local/vision/images:v1")
    expect(page.locator("#usage-snippet")).to_have_text('run.use_artifact("local/vision/images:v1")')
    expect(page.locator("#aliases")).to_contain_text("stable")
    page.locator("#metadata details summary").first.click()  # the tree folds
    screenshot(page, "version")


def test_search_finds_a_version_by_alias(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/ui/projects/local/{PROJECT}")
    page.get_by_role("searchbox", name="Search").fill("candidate")
    page.get_by_role("button", name="Search").click()
    page.locator("#search-results").get_by_role("link", name="classifier:v0").click()
    expect(page.locator("h1")).to_have_text("local/vision/classifier:v0")


def test_files_tab_previews_csv_and_images(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/ui/artifacts/local/{PROJECT}/images/v0")
    page.get_by_role("link", name="Files", exact=True).click()
    expect(page.locator("#file-list")).to_contain_text("README.md")
    screenshot(page, "files")
    page.get_by_role("link", name="📁 data/").click()
    page.get_by_role("link", name="labels.csv").click()
    expect(page.locator("table.csv tbody tr")).to_have_count(50)
    expect(page.locator("table.csv thead")).to_contain_text("label")
    screenshot(page, "file-preview-csv")
    page.get_by_role("link", name="images:v0", exact=True).first.click()
    page.get_by_role("link", name="📁 images/").click()
    page.get_by_role("link", name="cat.png").click()
    image = page.locator("#preview img")
    expect(image).to_be_visible()
    assert page.evaluate("() => document.querySelector('#preview img').naturalWidth") == 24


def test_lineage_graph_click_through_two_hops(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/ui/artifacts/local/{PROJECT}/classifier/v0")
    page.get_by_role("link", name="Lineage", exact=True).click()
    wait_for_graph(page)
    screenshot(page, "lineage")
    # hop 1: the run that logged the model, and on to its own lineage
    click_node(page, node_id_by_label(page, "train (train)"))
    expect(page.locator("#lineage-panel h3")).to_have_text("train (train)")
    expect(page.locator("#lineage-panel")).to_contain_text("train")
    page.locator("#panel-lineage").click()
    expect(page.locator("h1")).to_contain_text("train")
    wait_for_graph(page)
    # hop 2: the dataset version that run used, and open it
    click_node(page, node_id_by_label(page, "dataset · images:v1"))
    expect(page.locator("#lineage-panel h3")).to_have_text("dataset · images:v1")
    page.locator("#panel-open").click()
    expect(page.locator("h1")).to_have_text("local/vision/images:v1")


def test_lineage_clusters_search_extract_and_expand(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/ui/artifacts/local/{PROJECT}/classifier/v0/lineage?up=2&down=2")
    wait_for_graph(page)
    collapsed = visible_node_count(page)
    assert collapsed == 5  # images:v1, train, the model, a cluster of runs, a cluster of reports
    click_node(page, node_id_by_label(page, f"{SWEEP_RUNS} runs"))
    expect(page.locator("#cluster-search")).to_be_visible()
    page.locator("#cluster-search").fill("sweep-3")
    members = page.locator(".cluster-members button")
    expect(members).to_have_count(1)
    members.click()
    wait_for_graph(page)
    expect(page.locator("#lineage-panel h3")).to_have_text("sweep-3 (eval)")
    assert visible_node_count(page) == collapsed + 1
    page.locator("#explode-all").click()
    wait_for_graph(page)
    assert visible_node_count(page) == 3 + 2 * SWEEP_RUNS


def test_compare_two_picked_versions(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/ui/artifacts/local/{PROJECT}/images")
    page.get_by_label("Compare v0").check()
    page.get_by_label("Compare v1").check()
    page.locator("#compare-selected").click()
    expect(page.locator("#compare-summary")).to_have_text("1 added · 1 removed · 1 changed · 5 unchanged")
    expect(page.locator("#files-added")).to_contain_text("images/dog.png")
    expect(page.locator("#metadata-diff")).to_contain_text("split.train")
    screenshot(page, "compare")


def test_edit_an_alias(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/ui/artifacts/local/{PROJECT}/editable-browser/v0")
    page.get_by_label("New alias").fill("reviewed-in-browser")
    page.get_by_role("button", name="Add alias").click()
    expect(page.locator("#aliases")).to_contain_text("reviewed-in-browser")
    page.get_by_role("button", name="Remove alias reviewed-in-browser").click()
    expect(page.locator("#aliases")).not_to_contain_text("reviewed-in-browser")
    expect(page.locator("#aliases")).to_contain_text("latest")


def test_a_viewer_sees_no_edit_controls(page: Page, key_ui: KeyServer) -> None:
    page.goto(f"{key_ui.url}/ui/artifacts/local/{PROJECT}/editable-key/v0")
    expect(page.locator("h1")).to_have_text("Log in")
    screenshot(page, "login")
    page.get_by_label("API key").fill(VIEWER_KEY)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("local/vision/editable-key:v0")
    expect(page.locator(".who .user")).to_have_text("victor")
    for control in ("#add-alias", "#add-tag", "#edit-description", "button.remove"):
        expect(page.locator(control)).to_have_count(0)
    assert page.evaluate("() => document.cookie") == ""  # the key cookie is HttpOnly


def test_script_payloads_stay_text(page: Page, local_ui: str, sample: SampleStore) -> None:
    version = f"{local_ui}/ui/artifacts/local/{PROJECT}/xss-check/v0"
    for url in (
        version,
        f"{version}/files",
        f"{version}/lineage",
        f"{local_ui}/ui/runs/local/{PROJECT}/{sample.xss_run_id}",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__xss") is None, f"a payload ran on {url}"
    page.goto(version)
    expect(page.locator("#description")).to_contain_text(XSS)
    expect(page.locator("#description a")).to_have_count(1)  # only the https link became a link
    page.goto(f"{local_ui}/ui/runs/local/{PROJECT}/{sample.xss_run_id}")
    expect(page.locator("h1")).to_contain_text(XSS_RUN_NAME)


def test_run_page_draws_metric_charts(page: Page, local_ui: str, sample: SampleStore) -> None:
    page.goto(f"{local_ui}/ui/runs/local/{PROJECT}/{sample.train_run_id}")
    page.wait_for_selector('#charts[data-ready="yes"]')
    expect(page.locator("figure.chart canvas")).to_have_count(2)
    expect(page.locator("figure.chart figcaption")).to_have_text(["acc", "loss"])
    screenshot(page, "run")
