"""Page numbers for long lists (versions, collections, runs, files)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Paging:
    number: int
    """1-based; out-of-range numbers are clamped."""
    size: int
    total: int | None
    """None when the total is unknown; ``more`` then says whether a next page exists."""
    more: bool = False

    def __post_init__(self) -> None:
        number = max(1, int(self.number))
        if self.total is not None:
            number = min(number, self.pages)
        object.__setattr__(self, "number", number)

    @property
    def pages(self) -> int:
        return max(1, -(-(self.total or 0) // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.more if self.total is None else self.number < self.pages

    def with_more(self, more: bool) -> Paging:
        return replace(self, total=None, more=more)
