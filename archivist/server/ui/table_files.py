"""Table files of a version, parsed once: a ``.table.json`` blob is read through the
UiBackend, parsed (``archivist.core.table_json``) and kept in a small LRU keyed by its
digest (content-addressed, so never stale), bounded by the cells it holds. The rows a
filter and sort select are cached the same way, so paging through a 200,000-row table
neither parses nor sorts it again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import Entry
from archivist.core.table_json import TableData, parse_table
from archivist.core.table_query import RowQuery, select_rows
from archivist.server.ui.previews import blob_file
from archivist.server.ui.ui_backend import UiBackend

MAX_TABLE_BYTES = 256 * 1024 * 1024
"""A larger table file is not opened in the viewer (it can still be downloaded)."""
DEFAULT_CELL_BUDGET = 2_000_000
SELECTIONS_KEPT = 16

K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A thread-safe LRU bounded by the summed weight of what it holds (at least one item stays)."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._held = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, weight: int) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, weight)
            self._held += weight
            while self._held > self._budget and len(self._items) > 1:
                _, (_, evicted) = self._items.popitem(last=False)
                self._held -= evicted


class TableCache:
    def __init__(self, cell_budget: int = DEFAULT_CELL_BUDGET) -> None:
        self._tables: _Lru[str, TableData] = _Lru(cell_budget)
        self._selections: _Lru[tuple[str, RowQuery], list[int]] = _Lru(SELECTIONS_KEPT)

    def table(self, backend: UiBackend, entry: Entry) -> TableData:
        """The parsed table of ``entry``; InvalidInputError for a file too large or not a table."""
        cached = self._tables.get(entry.digest)
        if cached is not None:
            return cached
        if entry.is_reference:
            raise InvalidInputError(
                f"{entry.path!r} is a reference to {entry.ref}; its rows are not stored here"
            )
        if entry.size > MAX_TABLE_BYTES:
            raise InvalidInputError(
                f"the table {entry.path!r} is {entry.size} bytes; the viewer opens tables of up to "
                f"{MAX_TABLE_BYTES} bytes (download it instead)"
            )
        with blob_file(backend, entry.digest) as path, open(path, "rb") as handle:
            table = parse_table(handle.read())
        self._tables.put(entry.digest, table, max(1, len(table.rows) * max(1, len(table.columns))))
        return table

    def selection(self, table: TableData, digest: str, query: RowQuery) -> list[int]:
        """The row indices ``query`` selects from ``table`` (stored under ``digest``)."""
        key = (digest, query)
        cached = self._selections.get(key)
        if cached is None:
            cached = select_rows(table, query)
            self._selections.put(key, cached, 1)
        return cached

    def small_file(self, backend: UiBackend, entry: Entry, limit: int) -> bytes:
        """A pointer file (joined or partitioned table) read whole, refused above ``limit`` bytes."""
        if entry.is_reference or entry.size > limit:
            raise InvalidInputError(f"{entry.path!r} is not a table pointer file of at most {limit} bytes")
        with blob_file(backend, entry.digest) as path, open(path, "rb") as handle:
            return handle.read(limit + 1)
