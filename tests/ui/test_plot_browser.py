"""``archivist.plot`` charts logged through the SDK are drawn on the run page, in Chromium:
a confusion matrix logged under a key with ``/`` (its table entry keeps the whole key, as in
W&B, and the page finds it there) and a line plot. Screenshots land in test-output/screenshots/."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.servers import free_port, running
from tests.ui.browser import screenshot
from tests.ui.sample_data import child_env, sdk_environment

PROJECT = "plots"
CLASSES = ["cat", "dog", "bird"]
Y_TRUE = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 1]
PREDS = [0, 1, 2, 1, 1, 0, 0, 2, 2, 0, 1, 1]
STEPS = 25


@dataclass
class PlotStore:
    url: str
    run_id: str


@pytest.fixture(scope="module")
def plot_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlotStore]:
    """A store where one run logged two charts with ``run.log``, served by ``archivist ui``."""
    root = tmp_path_factory.mktemp("plot-ui")
    home, work = root / "home", root / "work"
    work.mkdir()
    with sdk_environment(home, work):
        import archivist as wandb

        with wandb.init(project=PROJECT, job_type="eval", name="plots") as run:
            losses = wandb.Table(columns=["step", "loss"], data=[[s, 1 / (s + 1)] for s in range(STEPS)])
            run.log(
                {
                    "eval/confusion": wandb.plot.confusion_matrix(
                        y_true=Y_TRUE, preds=PREDS, class_names=CLASSES, title="Eval confusion"
                    ),
                    "loss": wandb.plot.line(losses, "step", "loss", title="Loss by step"),
                }
            )
            run_id = run.id
    port = free_port()
    command = [sys.executable, "-m", "archivist", "ui", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port, env=child_env(home), log=root / "ui.log"):
        yield PlotStore(f"http://127.0.0.1:{port}", run_id)


def test_logged_plots_are_drawn_on_the_run_page(page: Page, plot_ui: PlotStore) -> None:
    page.goto(f"{plot_ui.url}/ui/runs/local/{PROJECT}/{plot_ui.run_id}")
    charts = page.locator("#custom-charts figure.table-chart")
    expect(charts).to_have_count(2)
    expect(page.locator("#custom-charts .chart-problem")).to_have_count(0)

    confusion = page.locator('#custom-charts figure[data-chart="eval/confusion"]')
    matrix = confusion.locator('svg[data-chart-kind="confusion-matrix"]')
    expect(matrix).to_be_visible()
    expect(matrix.locator("rect.cell")).to_have_count(len(CLASSES) ** 2)
    expect(matrix).to_contain_text("Eval confusion")
    expect(confusion.get_by_role("link", name="eval/confusion_table.table.json")).to_be_visible()

    line = page.locator('#custom-charts figure[data-chart="loss"] svg[data-chart-kind="line"]')
    expect(line).to_be_visible()
    expect(line).to_contain_text("Loss by step")
    points = line.locator("polyline.series").first.get_attribute("points") or ""
    assert len(points.split()) == STEPS
    for figure in (matrix, line):
        box = figure.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200
    screenshot(page, "run-plots")

    confusion.get_by_role("link", name="eval/confusion_table.table.json").click()
    expect(page.locator("#table-summary")).to_contain_text(f"{len(CLASSES) ** 2} rows")
    expect(page.locator('figure.table-chart svg[data-chart-kind="confusion-matrix"]')).to_be_visible()
