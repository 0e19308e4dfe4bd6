"""Driving Debian's Chromium with Playwright in the UI tests.

Never ``playwright install``: the browser is the system's ``/usr/bin/chromium``
(``apt-get install chromium``; ``.ci/run`` does it). Screenshots go to
``test-output/screenshots/`` (kept out of git).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}


class ConsoleProblems:
    """Collects page errors and console errors (a CSP violation shows up as one)."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.messages.append(f"console error: {message.text}")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def wait_for_graph(page: Page, timeout: float = 30_000) -> None:
    page.wait_for_selector('#lineage-graph[data-ready="yes"]', timeout=timeout)


def node_id_by_label(page: Page, label: str) -> str:
    found = page.evaluate(
        "label => window.archivistGraph.nodes().filter(n => n.data('label') === label).map(n => n.id())",
        label,
    )
    assert len(found) == 1, f"expected one node labelled {label!r} in the graph, found {found}"
    return str(found[0])


def click_node(page: Page, node_id: str) -> None:
    """Click the node where cytoscape drew it on its canvas."""
    position = page.evaluate(
        "id => { const p = window.archivistGraph.getElementById(id).renderedPosition(); return [p.x, p.y]; }",
        node_id,
    )
    box = page.locator("#lineage-graph").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + position[0], box["y"] + position[1])


def visible_node_count(page: Page) -> int:
    return int(page.evaluate("() => window.archivistGraph.nodes().length"))
