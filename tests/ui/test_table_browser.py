"""The table viewer and a chart in Chromium: open a W&B table file from the Files tab,
see its images, sort by a column, filter, page on; open a chart's table and see the SVG.
Screenshots land in test-output/screenshots/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.ui.browser import screenshot
from tests.ui.sample_data import SampleStore
from tests.ui.table_data import CLASSES, IMAGE_SIZES, PRED_ROWS, TABLES_PROJECT

PREDICTIONS = f"/ui/artifacts/local/{TABLES_PROJECT}/predictions/v0"


def first_row_index(page: Page) -> str:
    return str(page.locator("#table-rows tbody tr").first.get_attribute("data-row"))


def test_table_viewer_pages_sorts_filters_and_shows_images(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}{PREDICTIONS}/files")
    page.get_by_role("link", name="preds.table.json").click()
    rows = page.locator("#table-rows tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#table-summary")).to_contain_text(f"{PRED_ROWS} rows")
    first_image = page.locator("img.cell-image").first
    expect(first_image).to_be_visible()
    page.wait_for_function(
        "() => [...document.images].filter(i => i.classList.contains('cell-image')).every(i => i.complete)"
    )
    widths = page.evaluate("() => [...document.querySelectorAll('img.cell-image')].map(i => i.naturalWidth)")
    assert widths and set(widths) == {IMAGE_SIZES["width"]}
    screenshot(page, "table-viewer")

    page.locator("#table-rows thead").get_by_role("link", name="score").click()  # ascending
    expect(page.locator("#table-rows th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    assert first_row_index(page) == "0"
    page.locator("#table-rows thead").get_by_role("link", name="score ▲").click()  # descending
    expect(page.locator("#table-rows th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    assert first_row_index(page) == "107"

    page.locator("#filter-column").select_option("label")
    page.locator("#filter-expression").fill("= dog")
    page.locator("#filter-apply").click()
    expect(page.locator("#table-matches")).to_have_text(f"{PRED_ROWS // len(CLASSES)} matching")
    labels = page.locator("#table-rows tbody td.text").all_inner_texts()
    assert labels and set(labels) == {"dog"}
    expect(page.locator("#table-rows th[aria-sort]")).to_have_attribute("aria-sort", "descending")  # kept
    screenshot(page, "table-viewer-filtered")

    page.locator("#filter-clear").click()
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("nav.pager span")).to_have_text("Page 2 of 3")
    expect(rows).to_have_count(50)


def test_a_chart_recorded_by_the_run_is_drawn(page: Page, local_ui: str) -> None:
    page.goto(f"{local_ui}/ui/artifacts/local/{TABLES_PROJECT}/eval-charts/v0/files")
    page.get_by_role("link", name="confusion_table.table.json").click()
    chart = page.locator('figure.table-chart svg[data-chart-kind="confusion-matrix"]')
    expect(chart).to_be_visible()
    expect(chart.locator("rect.cell")).to_have_count(len(CLASSES) ** 2)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    screenshot(page, "chart-confusion-matrix")
    page.goto(
        f"{local_ui}/ui/artifacts/local/{TABLES_PROJECT}/eval-charts/v0/files/view?path=roc_table.table.json"
    )
    expect(page.locator('svg[data-chart-kind="curve"] polyline.series')).to_have_count(2)
    screenshot(page, "chart-roc")


def test_the_run_page_shows_its_charts_and_links_their_tables(
    page: Page, local_ui: str, sample: SampleStore
) -> None:
    page.goto(f"{local_ui}/ui/runs/local/{TABLES_PROJECT}/{sample.charts_run_id}")
    expect(page.locator("#custom-charts svg.chart-svg")).to_have_count(3)
    expect(page.locator('#custom-charts figure[data-chart="lost"] .chart-problem')).to_contain_text(
        "in none of the versions"
    )
    screenshot(page, "run-charts")
    page.locator('#custom-charts figure[data-chart="loss"]').get_by_role(
        "link", name="loss_table.table.json"
    ).click()
    expect(page.locator('figure.table-chart svg[data-chart-kind="line"]')).to_be_visible()
    expect(page.locator("#table-summary")).to_contain_text("40 rows")
