"""Tables that point at other tables in the same artifact: ``JoinedTable`` (two
tables and a join key) and ``PartitionedTable`` (a folder of table parts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.data_types.table import Table
from archivist.sdk.data_types.wb_value import ArtifactSource, ArtifactTarget, Media


def _is_table_ref(value: Any) -> bool:
    return (isinstance(value, str) and value.endswith(".table.json")) or isinstance(
        value, (Table, PartitionedTable)
    )


class PartitionedTable(Media):
    """A table made of every ``*.table.json`` under ``parts_path`` in the artifact."""

    _log_type = "partitioned-table"

    def __init__(self, parts_path: str) -> None:
        super().__init__()
        self.parts_path = parts_path
        self._source: ArtifactSource | None = None
        self._part_paths: list[str] = []

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        return {"_type": self._log_type, "parts_path": self.parts_path}

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> PartitionedTable:
        table = cls(json_obj["parts_path"])
        prefix = table.parts_path.rstrip("/") + "/"
        entries = source_artifact.manifest.entries  # type: ignore[attr-defined]
        table._part_paths = sorted(p for p in entries if p.startswith(prefix) and p.endswith(".table.json"))
        table._source = source_artifact
        return table

    def parts(self) -> Iterator[Table]:
        """Each part as a Table, read one at a time."""
        if self._source is None:
            raise InvalidInputError(
                "a PartitionedTable's parts are readable once it comes from artifact.get()"
            )
        for path in self._part_paths:
            part = self._source.get(path)
            assert isinstance(part, Table)
            yield part

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        """Every row of every part, numbered across parts; parts must share their columns."""
        columns = None
        index = 0
        for part in self.parts():
            if columns is None:
                columns = part.columns
            elif columns != part.columns:
                raise ValueError(f"Table parts have non-matching columns. {columns} != {part.columns}")
            for _, row in part.iterrows():
                yield index, row
                index += 1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionedTable) and self.parts_path == other.parts_path

    __hash__ = None  # type: ignore[assignment]


class JoinedTable(Media):
    """Two tables of the artifact joined on ``join_key`` (a column name, or one per table)."""

    _log_type = "joined-table"

    def __init__(self, table1: Any, table2: Any, join_key: str | list[str]) -> None:
        super().__init__()
        if not isinstance(join_key, str) and not (isinstance(join_key, list) and len(join_key) == 2):
            raise InvalidInputError(
                f"JoinedTable join_key should be a string or a list of two strings, got {join_key!r}"
            )
        for which, table in (("table1", table1), ("table2", table2)):
            if not _is_table_ref(table):
                raise InvalidInputError(
                    f"JoinedTable {which} should be an artifact path to a table (ending in .table.json) "
                    f"or a Table, got {table!r}"
                )
        self._table1 = table1
        self._table2 = table2
        self._join_key = join_key

    def _in_artifact(self, table: Any, artifact: ArtifactTarget, number: int) -> str:
        if isinstance(table, (Table, PartitionedTable)):
            path: str = artifact.add(table, f"t{number}_{id(self)}").path
            return path
        assert isinstance(table, str)
        if table not in artifact.manifest.entries:  # type: ignore[attr-defined]
            raise InvalidInputError(
                f"JoinedTable table {table!r} is not in the artifact: "
                "add it with artifact.add(<table>, name) first"
            )
        return table

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        return {
            "_type": self._log_type,
            "table1": self._in_artifact(self._table1, artifact, 1),
            "table2": self._in_artifact(self._table2, artifact, 2),
            "join_key": self._join_key,
        }

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> JoinedTable:
        t1 = source_artifact.get(json_obj["table1"]) or json_obj["table1"]
        t2 = source_artifact.get(json_obj["table2"]) or json_obj["table2"]
        return cls(t1, t2, json_obj["join_key"])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JoinedTable)
            and self._join_key == other._join_key
            and self._table1 == other._table1
            and self._table2 == other._table2
        )

    __hash__ = None  # type: ignore[assignment]
