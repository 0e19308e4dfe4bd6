"""``Artifacts``: a list of versions that answers ``len()`` (W&B's paginated list)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from archivist.sdk.artifact import Artifact


class Artifacts(Sequence[Artifact]):
    """A list of versions that also answers ``len()`` (W&B's paginated ``Artifacts``)."""

    def __init__(self, items: list[Artifact]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[Artifact]:
        return iter(self._items)
