"""``Api().runs(path, filters=, order=, per_page=)``: a project's runs chosen by W&B's
filters, read a page at a time as they are iterated (W&B's ``wandb.apis.public.Runs``).

The filters are checked here (``core.run_filters``) so a mistake is reported before any
request, and again by the store, which selects and orders the runs in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

from archivist.core.errors import InvalidInputError
from archivist.core.models import RunQuery
from archivist.core.run_filters import parse_run_filters, parse_run_order
from archivist.sdk.public_runs import PublicRun

if TYPE_CHECKING:
    from archivist.sdk.context import Context

DEFAULT_ORDER = "-created_at"


class Runs:
    """The runs a query selects, fetched ``per_page`` at a time; indexing reads as many
    pages as it needs, ``len()`` asks the store to count them."""

    def __init__(
        self,
        ctx: Context,
        entity: str,
        project: str,
        filters: Mapping[str, Any] | None = None,
        order: str | None = DEFAULT_ORDER,
        per_page: int = 50,
    ) -> None:
        if isinstance(per_page, bool) or not isinstance(per_page, int) or per_page < 1:
            raise InvalidInputError(f"per_page must be a positive integer, got {per_page!r}")
        wire_filters = _wire_form(filters or {})
        parse_run_filters(wire_filters)
        order = order or DEFAULT_ORDER
        parse_run_order(order)
        self._ctx = ctx
        self.entity = entity
        self.project = project
        self.filters = wire_filters
        self.order = order
        self.per_page = per_page
        self._loaded: list[PublicRun] = []
        self._exhausted = False
        self._length: int | None = None

    def _load_page(self) -> bool:
        """Fetch the next page; False when there is none."""
        if self._exhausted:
            return False
        records = self._ctx.backend.query_runs(self._query(offset=len(self._loaded), limit=self.per_page))
        self._loaded.extend(PublicRun(self._ctx, record) for record in records)
        self._exhausted = len(records) < self.per_page
        return bool(records)

    def _query(self, offset: int = 0, limit: int | None = None) -> RunQuery:
        return RunQuery(self.entity, self.project, self.filters, self.order, offset=offset, limit=limit)

    def __iter__(self) -> Iterator[PublicRun]:
        index = 0
        while True:
            while index < len(self._loaded):
                yield self._loaded[index]
                index += 1
            if not self._load_page():
                return

    def __len__(self) -> int:
        """How many runs the query selects: one count by the store, kept (as W&B keeps it)."""
        if self._length is None:
            self._length = (
                len(self._loaded) if self._exhausted else self._ctx.backend.count_runs(self._query())
            )
        return self._length

    def _load_all(self) -> None:
        while self._load_page():
            pass

    @overload
    def __getitem__(self, index: int) -> PublicRun: ...

    @overload
    def __getitem__(self, index: slice) -> list[PublicRun]: ...

    def __getitem__(self, index: int | slice) -> PublicRun | list[PublicRun]:
        if isinstance(index, slice) or index < 0:
            self._load_all()
            return self._loaded[index]
        while index >= len(self._loaded) and self._load_page():
            pass
        return self._loaded[index]

    def __repr__(self) -> str:
        return f"<Runs {self.entity}/{self.project}>"


def _wire_form(value: Any) -> Any:
    """Filters as JSON: dates and times become ISO strings (naive means UTC)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _wire_form(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wire_form(item) for item in value]
    return value
