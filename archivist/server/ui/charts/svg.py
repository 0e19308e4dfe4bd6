"""Drawing a chart as SVG text: the canvas, linear scales, axes with round ticks, a legend.

Every text and attribute value is XML-escaped here, so a column name or title from a
table cannot become markup. Colours are presentation attributes (the UI's CSP forbids
inline ``style``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
HEIGHT = 380
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 150, 36, 52
PALETTE = (
    "#2f62c4",
    "#e4572e",
    "#17a589",
    "#f3a712",
    "#8e44ad",
    "#c0392b",
    "#5d6d7e",
    "#d35400",
    "#27ae60",
    "#2c3e50",
)
"""Series colours, in order; more series reuse them."""
MAX_LEGEND = 12


def number_label(value: float) -> str:
    """A tick or cell number in few characters: ``0.25``, ``1200``, ``1.5e+06``."""
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.2g}"
    return f"{value:.4g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (about ``count`` of them)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


@dataclass(frozen=True)
class Scale:
    """A linear map from data ``[low, high]`` to pixels ``[start, end]``."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def padded_range(values: list[float], include_zero: bool = False) -> tuple[float, float]:
    low, high = min(values, default=0.0), max(values, default=1.0)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if low == high:
        low, high = low - 1, high + 1
    return low, high


@dataclass
class Canvas:
    """An SVG drawing: elements are appended in order, ``svg()`` closes it."""

    title: str
    kind: str
    width: int = WIDTH
    height: int = HEIGHT
    parts: list[str] = field(default_factory=list)

    @property
    def left(self) -> float:
        return MARGIN_LEFT

    @property
    def right(self) -> float:
        return self.width - MARGIN_RIGHT

    @property
    def top(self) -> float:
        return MARGIN_TOP

    @property
    def bottom(self) -> float:
        return self.height - MARGIN_BOTTOM

    def add(self, tag: str, text: str | None = None, **attributes: object) -> None:
        attrs = "".join(
            f" {name.rstrip('_').replace('_', '-')}={quoteattr(_attribute(value))}"
            for name, value in attributes.items()
            if value is not None
        )
        if text is None:
            self.parts.append(f"<{tag}{attrs}/>")
        else:
            self.parts.append(f"<{tag}{attrs}>{escape(text)}</{tag}>")

    def text(self, x: float, y: float, text: str, **attributes: object) -> None:
        self.add("text", text, x=x, y=y, **attributes)

    def axes(self, x: Scale, y: Scale, x_title: str, y_title: str, x_ticks: bool = True) -> None:
        """Both axes with grid lines at round ticks, and their titles."""
        for tick in nice_ticks(y.low, y.high):
            py = y(tick)
            self.add("line", x1=self.left, x2=self.right, y1=py, y2=py, stroke="#e3e6ea")
            self.text(self.left - 6, py + 4, number_label(tick), text_anchor="end", font_size=11, fill="#555")
        if x_ticks:
            for tick in nice_ticks(x.low, x.high):
                px = x(tick)
                self.add("line", x1=px, x2=px, y1=self.bottom, y2=self.bottom + 4, stroke="#888")
                self.text(
                    px, self.bottom + 17, number_label(tick), text_anchor="middle", font_size=11, fill="#555"
                )
        self.add("line", x1=self.left, x2=self.right, y1=self.bottom, y2=self.bottom, stroke="#888")
        self.add("line", x1=self.left, x2=self.left, y1=self.top, y2=self.bottom, stroke="#888")
        self.text((self.left + self.right) / 2, self.height - 12, x_title, text_anchor="middle", font_size=12)
        middle = (self.top + self.bottom) / 2
        self.text(
            16, middle, y_title, text_anchor="middle", font_size=12, transform=f"rotate(-90 16 {middle:.1f})"
        )

    def legend(self, names: list[str]) -> None:
        """Colour keys on the right, one per series (the first ``MAX_LEGEND``)."""
        for i, name in enumerate(names[:MAX_LEGEND]):
            y = self.top + 8 + i * 18
            self.add("rect", x=self.right + 14, y=y - 9, width=10, height=10, fill=colour(i))
            self.text(self.right + 30, y, name[:22], font_size=11, class_="legend-item")
        if len(names) > MAX_LEGEND:
            self.text(
                self.right + 14,
                self.top + 8 + MAX_LEGEND * 18,
                f"+{len(names) - MAX_LEGEND} more",
                font_size=11,
            )

    def svg(self) -> str:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
            f'width="{self.width}" height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
            f"data-chart-kind={quoteattr(self.kind)} aria-label={quoteattr(self.title)}>"
        )
        title = f"<title>{escape(self.title)}</title>"
        heading = (
            f'<text x="{self.width / 2:.1f}" y="20" text-anchor="middle" font-size="14" '
            f'font-weight="bold">{escape(self.title)}</text>'
        )
        return head + title + heading + "".join(self.parts) + "</svg>"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _attribute(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
