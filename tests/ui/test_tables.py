"""The table viewer over HTTP (``archivist ui`` on the sample store): W&B-layout table files
are shown a page at a time, sorted and filtered on the server, with images inline through
the version's file route; joined and partitioned tables list their parts; the charts a
run's config records are drawn as SVG from their table."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.ui.pages import get_ok
from tests.ui.sample_data import SampleStore
from tests.ui.table_data import BIG_ROWS, CLASSES, CONFUSION, MISSING_CHART, PRED_ROWS, TABLES_PROJECT

PREDICTIONS = f"/ui/artifacts/local/{TABLES_PROJECT}/predictions/v0"
BIG = f"/ui/artifacts/local/{TABLES_PROJECT}/big-table/v0"
ROW_INDEX = re.compile(r'<tr data-row="(\d+)">')
IMAGE_SRC = re.compile(r'<img class="cell-image"[^>]* src="([^"]+)"')


def table(
    client: httpx.Client, base: str = PREDICTIONS, path: str = "preds.table.json", **params: object
) -> str:
    return get_ok(client, f"{base}/files/view", path=path, **params)


def shown_rows(page: str) -> list[int]:
    return [int(i) for i in ROW_INDEX.findall(page)]


def column_cells(page: str, css_class: str) -> list[str]:
    return re.findall(rf'<td class="{css_class}"[^>]*>([^<]*)</td>', page)


def test_a_table_file_opens_in_the_viewer_a_page_at_a_time(client: httpx.Client) -> None:
    first = table(client)
    assert f"Table · {PRED_ROWS} rows · 5 columns" in first
    assert shown_rows(first) == list(range(50))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = table(client, page=3)
    assert shown_rows(last) == list(range(100, PRED_ROWS))
    assert "Page 3 of 3" in last and 'rel="next"' not in last


def test_cells_numbers_right_aligned_nested_compact_images_inline(client: httpx.Client) -> None:
    page = table(client)
    assert '<th class="num"><a class="sort"' in page  # the id and score columns
    assert '<td class="num" title="0.3083">0.3083</td>' in page  # row 1: 37 / 120
    assert ">{&#34;fold&#34;:1,&#34;tags&#34;:[&#34;a&#34;]}</code></td>" in page  # nested: one compact line
    sources = IMAGE_SRC.findall(page)
    assert len(sources) == 50
    image = client.get(sources[0].replace("&amp;", "&"))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_sorting_by_a_column_both_ways(client: httpx.Client) -> None:
    ascending = table(client, sort="score", order="asc")
    scores = [float(s) for s in re.findall(r'<td class="num" title="([0-9.]+)">', ascending)[1::2]]
    assert scores == sorted(scores) and scores[0] == 0.0
    descending = table(client, sort="score", order="desc")
    assert shown_rows(descending)[0] == 107  # 107 * 37 % 120 == 119, the highest score
    assert 'aria-sort="descending"' in descending
    by_label = table(client, sort="label", order="asc")
    assert set(column_cells(by_label, "text")[:40]) == {"bird"}


def test_filtering_by_text_comparison_and_any_column(client: httpx.Client) -> None:
    cats = table(client, col="label", q="= cat")
    assert f"{PRED_ROWS // len(CLASSES)} matching" in cats
    assert set(column_cells(cats, "text")) == {"cat"}
    high = table(client, col="score", q=">= 0.9", sort="score", order="desc")
    indices = shown_rows(high)
    assert len(indices) == 12 and all(i * 37 % PRED_ROWS >= 108 for i in indices)
    contains = table(client, q="BIR")  # any column, ignoring case
    assert f"{PRED_ROWS // len(CLASSES)} matching" in contains
    none = table(client, col="label", q="= lion")
    assert "No row matches the filter." in none and shown_rows(none) == []


def test_a_200k_row_table_is_never_sent_whole(client: httpx.Client) -> None:
    response = client.get(
        f"{BIG}/files/view", params={"path": "big.table.json", "sort": "score", "page": 4000}
    )
    assert response.status_code == 200
    assert f"Table · {BIG_ROWS} rows" in response.text
    rows = shown_rows(response.text)
    assert rows == list(range(BIG_ROWS - 1 - 3999 * 50, BIG_ROWS - 1 - 3999 * 50 - 50, -1))
    assert len(response.content) < 60_000
    filtered = client.get(
        f"{BIG}/files/view", params={"path": "big.table.json", "col": "label", "q": "= label-3"}
    )
    assert f"{len(range(3, BIG_ROWS, 7))} matching" in filtered.text


@pytest.mark.parametrize("number", ["0", "-5", "99999999999999999999999"])
def test_out_of_range_page_numbers_are_clamped(client: httpx.Client, number: str) -> None:
    page = table(client, page=number)
    expected = list(range(50)) if not number.startswith("9") else list(range(100, PRED_ROWS))
    assert shown_rows(page) == expected


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"page": "abc"}, 400, "page"),
        ({"page": "1.5"}, 400, "page"),
        ({"sort": "nope"}, 400, "no column &#39;nope&#39; in this table; its columns are &#39;id&#39;"),
        ({"col": "nope", "q": "x"}, 400, "no column &#39;nope&#39;"),
        (
            {"sort": "id", "order": "sideways"},
            400,
            "unknown sort order &#39;sideways&#39;: use &#39;asc&#39; or &#39;desc&#39;",
        ),
        ({"col": "score", "q": "> high"}, 400, "which is not a number"),
        ({"q": "x" * 201}, 400, "at most 200 are accepted"),
    ],
)
def test_bad_table_parameters_are_refused_with_a_message(
    client: httpx.Client, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get(f"{PREDICTIONS}/files/view", params={"path": "preds.table.json", **params})
    assert response.status_code == status, response.text[:300]
    assert message in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("url", "path", "status"),
    [
        (PREDICTIONS, "../preds.table.json", 404),
        (PREDICTIONS, "/preds.table.json", 404),
        (PREDICTIONS, "preds.table.json ", 404),
        (PREDICTIONS, "missing.table.json", 404),
        (f"/ui/artifacts/local/{TABLES_PROJECT}/predictions/v7", "preds.table.json", 404),
        (f"/ui/artifacts/local/{TABLES_PROJECT}/predictions/v0x", "preds.table.json", 404),
        (f"/ui/artifacts/local/{TABLES_PROJECT}/predictions/%20v0", "preds.table.json", 404),
        (f"/ui/artifacts/local/{TABLES_PROJECT}/nothing/v0", "preds.table.json", 404),
        ("/ui/artifacts/local/vision/images/v0", "preds.table.json", 404),  # a foreign version
    ],
)
def test_missing_padded_and_foreign_addresses_answer_404(
    client: httpx.Client, url: str, path: str, status: int
) -> None:
    response = client.get(f"{url}/files/view", params={"path": path})
    assert response.status_code == status, f"{url} {path!r}: {response.status_code}"
    image = client.get(f"{url}/files/raw", params={"path": path, "inline": 1})
    assert image.status_code == status


def test_a_media_path_of_another_version_is_not_served_through_this_one(client: httpx.Client) -> None:
    page = table(client)
    media = IMAGE_SRC.findall(page)[0].replace("&amp;", "&").split("path=")[1].split("&")[0]
    other = client.get(
        "/ui/artifacts/local/vision/images/v0/files/raw",
        params={"path": httpx.QueryParams(f"p={media}")["p"], "inline": 1},
    )
    assert other.status_code == 404


def test_joined_and_partitioned_tables_list_their_parts(client: httpx.Client) -> None:
    joined = table(client, path="both.joined-table.json")
    assert "Joined table · joined on id" in joined
    assert re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', joined) == [
        "preds.table.json",
        "labels.table.json",
    ]
    split = table(client, path="split.partitioned-table.json")
    assert "Partitioned table · parts in parts/" in split
    assert re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', split) == [
        "parts/part-0.table.json",
        "parts/part-1.table.json",
    ]
    part = table(client, path="parts/part-1.table.json")
    assert shown_rows(part) == list(range(5)) and "row 9" in part


def test_charts_the_run_recorded_are_drawn_as_svg(client: httpx.Client, sample: SampleStore) -> None:
    base = f"/ui/artifacts/local/{TABLES_PROJECT}/eval-charts/v0"
    confusion = table(client, base, "confusion_table.table.json")
    assert 'data-chart-kind="confusion-matrix"' in confusion and "<title>Confusion</title>" in confusion
    cells = re.findall(r'data-actual="(\w+)" data-predicted="(\w+)" data-value="(\d+)"', confusion)
    drawn = {(a, p): int(v) for a, p, v in cells if int(v)}
    assert drawn == CONFUSION
    line = table(client, base, "loss_table.table.json")
    assert 'data-chart-kind="line"' in line and "<title>Loss by step</title>" in line
    assert len(re.findall(r"<polyline ", line)) == 1
    roc = table(client, base, "roc_table.table.json")
    assert len(re.findall(r'<polyline [^>]*data-series="(\w+)"', roc)) == 2
    assert "<svg" not in table(client)  # no chart names the predictions table


def test_the_run_page_draws_every_chart_its_config_records(client: httpx.Client, sample: SampleStore) -> None:
    page = get_ok(client, f"/ui/runs/local/{TABLES_PROJECT}/{sample.charts_run_id}")
    figures = re.findall(r'<figure class="table-chart" data-chart="(\w+)" data-spec="([^"]+)">', page)
    assert figures == [
        ("confusion", "wandb/confusion_matrix/v1"),
        ("loss", "wandb/line/v0"),
        (MISSING_CHART, "wandb/bar/v0"),
        ("roc", "wandb/area-under-curve/v0"),
    ]
    kinds = re.findall(r'data-chart-kind="([\w-]+)"', page)
    assert kinds == ["confusion-matrix", "line", "curve"]
    assert "its table &#39;lost_table.table.json&#39; is in none of the versions this run logged" in page
    assert "files/view?path=loss_table.table.json" in page and "eval-charts:v0" in page


def test_a_table_file_that_is_not_a_table_is_shown_as_a_file_with_the_reason(client: httpx.Client) -> None:
    page = table(client, path="broken.table.json")
    assert "Not shown as a table: row 0 of the table has 1 cells; the table has 2 columns" in page
    assert 'data-kind="json"' in page and 'id="table-rows"' not in page
