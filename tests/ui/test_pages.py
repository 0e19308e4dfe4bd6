"""The UI's pages through ``archivist ui`` on a loopback port (LocalUiAuth), read with httpx."""

from __future__ import annotations

import re

import httpx
import pytest
from markupsafe import escape

from tests.ui.pages import embedded_json, get_ok
from tests.ui.sample_data import (
    HISTORY_STEPS,
    LABEL_ROWS_V0,
    PROJECT,
    SWEEP_RUNS,
    SampleStore,
)

PROJECT_URL = f"/ui/projects/local/{PROJECT}"
IMAGES = f"/ui/artifacts/local/{PROJECT}/images"
CLASSIFIER = f"/ui/artifacts/local/{PROJECT}/classifier"


def test_root_redirects_to_the_projects_of_the_default_entity(client: httpx.Client) -> None:
    first = client.get("/")
    assert first.status_code == 307 and first.headers["location"] == "/ui/"
    second = client.get("/ui/")
    assert second.status_code == 303 and second.headers["location"] == "/ui/projects/local"
    assert f'href="{PROJECT_URL}"' in get_ok(client, "/ui/projects/local")


def test_project_page_groups_collections_by_type(client: httpx.Client) -> None:
    page = get_ok(client, PROJECT_URL)
    for type_name in ("dataset", "model", "report"):
        assert f'href="{PROJECT_URL}/types/{type_name}"' in page
    assert f'href="{IMAGES}"' in page and f'href="{CLASSIFIER}"' in page
    assert f'href="/ui/runs/local/{PROJECT}"' in page


def test_type_page_lists_only_that_type(client: httpx.Client) -> None:
    page = get_ok(client, f"{PROJECT_URL}/types/model")
    assert f'href="{CLASSIFIER}"' in page
    assert f'href="{IMAGES}"' not in page


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("classif", [f'href="{CLASSIFIER}"'], [f'href="{IMAGES}"']),
        ("stable", [f'href="{IMAGES}/v1"'], [f'href="{IMAGES}/v0"']),
        ("reviewed", [f'href="{IMAGES}/v1"'], [f'href="{IMAGES}/v0"']),
        ("raw", [f'href="{IMAGES}/v0"', f'href="{IMAGES}/v1"'], []),
        ("images:v0", [f'href="{IMAGES}/v0"'], [f'href="{IMAGES}/v1"']),
        ("candidate", [f'href="{CLASSIFIER}/v0"'], []),
    ],
)
def test_search_by_name_alias_and_tag(
    client: httpx.Client, query: str, expected: list[str], absent: list[str]
) -> None:
    page = get_ok(client, PROJECT_URL, q=query)
    results = page.split('id="search-results"', 1)[1].split("<h2>Artifact types</h2>", 1)[0]
    for needle in expected:
        assert needle in results, f"{query!r} should find {needle}"
    for needle in absent:
        assert needle not in results, f"{query!r} should not find {needle}"


def test_search_without_match_says_so(client: httpx.Client) -> None:
    assert "Nothing matches." in get_ok(client, PROJECT_URL, q="no-such-thing")


def test_collection_lists_versions_and_filters_by_tag(client: httpx.Client) -> None:
    page = get_ok(client, IMAGES)
    assert page.index(f'href="{IMAGES}/v1"') < page.index(f'href="{IMAGES}/v0"'), "newest first"
    tagged = get_ok(client, IMAGES, tag="reviewed").split('<section id="history">')[0]  # not the history
    assert f'href="{IMAGES}/v1"' in tagged and f'href="{IMAGES}/v0"' not in tagged
    jump = client.get(IMAGES, params={"q": "stable"})
    assert jump.status_code == 303 and jump.headers["location"] == f"{IMAGES}/v1"


def test_version_page_shows_every_fact(client: httpx.Client, sample: SampleStore) -> None:
    page = get_ok(client, f"{IMAGES}/v0")
    assert str(escape('run.use_artifact("local/vision/images:v0")')) in page
    assert "<h1>Cat images</h1>" in page and "<strong>bold</strong>" in page
    assert '<a href="https://example.com/docs" rel="nofollow noopener noreferrer">a link</a>' in page
    assert re.search(r'<code class="digest"[^>]*>[0-9a-f]{64}</code>', page)
    assert "<dt>Files</dt><dd>7</dd>" in page
    assert f'href="/ui/runs/local/{PROJECT}/{sample.ingest_run_id}"' in page
    assert '<dt>TTL</dt><dd id="ttl">none' in page
    assert re.search(r"<dt>Created</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</dd>", page)
    for key in ("rows", "split", "train", "classes"):
        assert f'<span class="jt-key">{key}</span>' in page
    assert '<span class="chip tag">raw</span>' in page


def test_version_by_alias_and_its_consumers(client: httpx.Client, sample: SampleStore) -> None:
    page = get_ok(client, f"{CLASSIFIER}/candidate")
    assert "classifier:v0" in page
    for run_id in sample.sweep_run_ids:
        assert f'href="/ui/runs/local/{PROJECT}/{run_id}"' in page


def test_missing_things_answer_404_pages(client: httpx.Client) -> None:
    for url in (f"{IMAGES}/v9", f"/ui/artifacts/local/{PROJECT}/nope", f"/ui/runs/local/{PROJECT}/nope"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert 'class="message"' in response.text and "not found" in response.text


def test_files_tab_browses_folders(client: httpx.Client, sample: SampleStore) -> None:
    root = get_ok(client, f"{IMAGES}/v0/files")
    for folder in ("data/", "images/", "external/"):
        assert f"📁 {folder}" in root
    for name in ("README.md", "notes.txt", "blob.bin"):
        assert f">{name}</a>" in root
    assert re.search(r'<code class="digest" title="[0-9a-f]{64}">[0-9a-f]{12}…</code>', root)
    data = get_ok(client, f"{IMAGES}/v0/files", path="data")
    assert ">labels.csv</a>" in data and ">meta.json</a>" in data and "README.md" not in data
    external = get_ok(client, f"{IMAGES}/v0/files", path="external")
    assert str(escape(sample.external_file.as_uri())) in external
    assert client.get(f"{IMAGES}/v0/files", params={"path": "nope"}).status_code == 404


def test_previews_of_text_json_csv_image_binary_and_reference(
    client: httpx.Client, sample: SampleStore
) -> None:
    view = f"{IMAGES}/v0/files/view"
    assert '<pre class="text-preview"># Images\n\nhello\n</pre>' in get_ok(client, view, path="README.md")
    json_page = get_ok(client, view, path="data/meta.json")
    assert 'data-kind="json"' in json_page and '<span class="jt-key">classes</span>' in json_page
    csv_page = get_ok(client, view, path="data/labels.csv")
    assert 'data-kind="csv"' in csv_page and "<th>label</th>" in csv_page
    assert csv_page.count("<tr><td>img") == 50 and "Showing the first 50 rows" in csv_page
    assert LABEL_ROWS_V0 > 50
    image_page = get_ok(client, view, path="images/cat.png")
    assert 'data-kind="image"' in image_page
    inline = client.get(f"{IMAGES}/v0/files/raw", params={"path": "images/cat.png", "inline": 1})
    assert inline.headers["content-type"] == "image/png" and inline.content == sample.png
    assert inline.headers["content-disposition"].startswith("inline")
    assert 'data-kind="binary"' in get_ok(client, view, path="blob.bin")
    reference = get_ok(client, view, path="external/ext.txt")
    assert 'data-kind="reference"' in reference and str(escape(sample.external_file.as_uri())) in reference


def test_downloads_are_attachments_with_the_stored_bytes(client: httpx.Client, sample: SampleStore) -> None:
    response = client.get(f"{IMAGES}/v0/files/raw", params={"path": "data/labels.csv"})
    assert response.status_code == 200 and response.text == sample.labels_v0
    assert response.headers["content-type"] == "application/octet-stream"
    assert (
        response.headers["content-disposition"].startswith("attachment")
        and "labels.csv" in response.headers["content-disposition"]
    )
    not_inline = client.get(f"{IMAGES}/v0/files/raw", params={"path": "README.md", "inline": 1})
    assert not_inline.headers["content-type"] == "application/octet-stream"
    assert client.get(f"{IMAGES}/v0/files/raw", params={"path": "external/ext.txt"}).status_code == 400
    assert client.get(f"{IMAGES}/v0/files/raw", params={"path": "missing.txt"}).status_code == 404


def test_lineage_graph_levels_and_clusters(client: httpx.Client, sample: SampleStore) -> None:
    graph = embedded_json(get_ok(client, f"{CLASSIFIER}/v0/lineage", up=2, down=2), "lineage-data")
    levels = {(n["kind"], n["label"]): n["level"] for n in graph["nodes"]}
    assert levels[("version", "model · classifier:v0")] == 0
    assert levels[("run", "train (train)")] == -1
    assert levels[("version", "dataset · images:v1")] == -2
    assert (
        sorted(level for (kind, _), level in levels.items() if kind == "run" and level == 1)
        == [1] * SWEEP_RUNS
    )
    assert {(c["level"], c["kind"], len(c["members"])) for c in graph["clusters"]} == {
        (1, "run", SWEEP_RUNS),
        (2, "version", SWEEP_RUNS),
    }
    kinds = {(e["kind"]) for e in graph["edges"]}
    assert kinds == {"logged", "used"}
    train = next(n for n in graph["nodes"] if n["kind"] == "run" and n["label"].startswith("train"))
    assert train["url"] == f"/ui/runs/local/{PROJECT}/{sample.train_run_id}"
    assert train["lineage_url"].startswith(f"/ui/runs/local/{PROJECT}/{sample.train_run_id}/lineage?")


def test_lineage_depths_are_clamped(client: httpx.Client) -> None:
    graph = embedded_json(get_ok(client, f"{CLASSIFIER}/v0/lineage", up=0, down="x"), "lineage-data")
    assert graph["depths"] == {"upstream": 0, "downstream": 2}
    assert min(n["level"] for n in graph["nodes"]) == 0
    deep = embedded_json(get_ok(client, f"{CLASSIFIER}/v0/lineage", up=999, down=-3), "lineage-data")
    assert deep["depths"] == {"upstream": 10, "downstream": 0}


def test_run_lineage(client: httpx.Client, sample: SampleStore) -> None:
    page = get_ok(client, f"/ui/runs/local/{PROJECT}/{sample.train_run_id}/lineage", up=1, down=1)
    graph = embedded_json(page, "lineage-data")
    assert graph["root"] == f"local/{PROJECT}/{sample.train_run_id}"
    labels = {n["label"]: n["level"] for n in graph["nodes"]}
    assert labels["dataset · images:v1"] == -1 and labels["model · classifier:v0"] == 1


def test_compare_two_versions(client: httpx.Client) -> None:
    compare = f"/ui/artifacts/local/{PROJECT}/images/compare"
    picked = client.get(compare, params=[("v", "v1"), ("v", "v0")])
    assert picked.status_code == 303
    page = get_ok(client, compare, a="v1", b="v0")  # older first, whatever the order asked
    summary = re.search(r'id="compare-summary">([^<]*)<', page).group(1)
    assert summary == "1 added · 1 removed · 1 changed · 5 unchanged"
    added = page.split('id="files-added"')[1].split("</section>")[0]
    removed = page.split('id="files-removed"')[1].split("</section>")[0]
    changed = page.split('id="files-changed"')[1].split("</section>")[0]
    assert "images/dog.png" in added and "notes.txt" in removed and "data/labels.csv" in changed
    metadata = page.split('id="metadata-diff"')[1].split("</section>")[0]
    assert (
        '<tr class="changed"><td><code>rows</code></td><td><code>80</code></td><td><code>120</code></td></tr>'
        in metadata
    )
    assert '<tr class="changed"><td><code>split.train</code></td>' in metadata
    assert '<tr class="added"><td><code>source</code></td>' in metadata
    wrong = client.get(compare, params=[("v", "v1")])
    assert wrong.status_code == 400 and "exactly two" in wrong.text


def test_run_page_config_summary_history_inputs_outputs(client: httpx.Client, sample: SampleStore) -> None:
    page = get_ok(client, f"/ui/runs/local/{PROJECT}/{sample.train_run_id}")
    history = embedded_json(page, "history-data")
    assert history["steps"] == list(range(HISTORY_STEPS))
    series = {s["name"]: s["values"] for s in history["series"]}
    assert set(series) == {"acc", "loss"} and series["loss"][0] == 1.0
    config = page.split('id="config"')[1].split("</div>")[0]
    assert '<span class="jt-key">lr</span>' in config
    summary = page.split('id="summary"')[1].split("</div>")[0]
    assert '<span class="jt-key">acc</span>' in summary
    inputs = page.split("<h2>Inputs</h2>")[1].split("<h2>Outputs</h2>")[0]
    outputs = page.split("<h2>Outputs</h2>")[1].split("</section>")[0]
    assert f'href="{IMAGES}/v1"' in inputs and f'href="{CLASSIFIER}/v0"' in outputs


def test_runs_list(client: httpx.Client, sample: SampleStore) -> None:
    page = get_ok(client, f"/ui/runs/local/{PROJECT}")
    for run_id in (sample.train_run_id, sample.ingest_run_id, *sample.sweep_run_ids):
        assert f'href="/ui/runs/local/{PROJECT}/{run_id}"' in page


def test_pages_carry_security_headers(client: httpx.Client) -> None:
    for url in (PROJECT_URL, f"{IMAGES}/v0", f"{CLASSIFIER}/v0/lineage", f"{IMAGES}/v9"):
        headers = client.get(url).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_vendored_libraries_are_served(client: httpx.Client) -> None:
    for name in ("cytoscape.min.js", "cytoscape-dagre.min.js", "uPlot.iife.min.js", "uPlot.min.css"):
        response = client.get(f"/ui/static/vendor/{name}")
        assert response.status_code == 200 and len(response.content) > 1000, name
    assert "javascript" in client.get("/ui/static/lineage.js").headers["content-type"]
