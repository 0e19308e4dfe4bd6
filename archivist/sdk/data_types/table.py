"""``Table``: rows of values and media with typed columns, stored as W&B's
``<name>.table.json`` (``columns``, ``data``, ``column_types``, ``log_mode``, ...).

Cells are written as W&B writes them: numpy values as plain numbers and lists,
datetimes as epoch milliseconds, media as the JSON of the file added beside the
table. Numpy columns of more than one dimension (or longer than 150 values) go to
``media/serialized_data/<column>_<id>.npz`` with null cells, as in W&B.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.data_types import column_types as ct
from archivist.sdk.data_types.table_cells import cell_json, cell_value, increment_rows
from archivist.sdk.data_types.wb_value import (
    ArtifactSource,
    ArtifactTarget,
    Media,
    media_tmp_path,
    optional_module,
)

LOG_MODES = ("IMMUTABLE", "MUTABLE", "INCREMENTAL")
_log = logging.getLogger(__name__)


class _TableIndex(int):
    """A row number that remembers its table (``get_index``, ``iterrows``)."""

    _table: Table | None = None

    def set_table(self, table: Table) -> None:
        self._table = table

    def get_row(self) -> dict[Any, Any]:
        assert self._table is not None
        return dict(zip(self._table.columns, self._table.data[self], strict=True))

    def column_type(self) -> dict[str, Any]:
        """In a table, a column of indexes into one table is W&B's ``foreignIndex``."""
        return ct.NUMBER if self._table is None else ct.foreign_index(self._table)


def _is_ndarray(value: Any) -> bool:
    return type(value).__module__ == "numpy" and type(value).__name__ == "ndarray"


def _indexed_table(col_type: dict[str, Any] | None) -> Table | None:
    """The table a ``foreignIndex`` column points into (None for other columns, or when
    the stored path could not be resolved)."""
    if col_type is None or col_type.get("wb_type") != "foreignIndex":
        return None
    target = ct.params(col_type).get("table")
    return target if isinstance(target, Table) else None


def is_dataframe(value: Any) -> bool:
    """A pandas DataFrame (recognised without importing pandas)."""
    return type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas")


class Table(Media):
    """W&B's ``wandb.Table``."""

    MAX_ROWS = 10_000
    MAX_ARTIFACT_ROWS = 200_000
    _MAX_EMBEDDING_DIMENSIONS = 150
    _log_type = "table"
    _media_subdir = "media/table"

    def __init__(
        self,
        columns: list[Any] | None = None,
        data: Any = None,
        rows: list[Any] | None = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: bool | list[bool] = True,
        allow_mixed_types: bool = False,
        log_mode: str | None = "IMMUTABLE",
    ) -> None:
        super().__init__()
        if log_mode not in LOG_MODES:
            raise InvalidInputError(f"invalid log_mode {log_mode!r}: use one of {', '.join(LOG_MODES)}")
        self.log_mode = log_mode
        self._last_logged_idx: int | None = None
        self._increment_num: int | None = None
        self._logged_once = False
        self._run_pointer: dict[str, Any] | None = None
        if allow_mixed_types:
            dtype = ct.ANY
        if columns is None:
            columns = ["Input", "Output", "Expected"]
        if dataframe is None and is_dataframe(data):
            dataframe = data
        if dataframe is not None:
            columns = list(dataframe.columns)
            source: Any = [[dataframe[c].values[i] for c in columns] for i in range(len(dataframe))]
        elif data is not None:
            source = data
        else:
            source = rows if rows is not None else []
        if not isinstance(columns, list) or not all(type(c) in (str, int) for c in columns):
            raise InvalidInputError(f"columns must be a list of strings or ints, got {columns!r}")
        if not (isinstance(source, list) or _is_ndarray(source)):
            raise InvalidInputError(
                f"data must be a list of rows, a numpy array or a pandas DataFrame, "
                f"got {type(source).__name__}"
            )
        self.columns: list[Any] = list(columns)
        self.data: list[list[Any]] = []
        self._column_types = ct.typed_dict({})
        dtypes = dtype if isinstance(dtype, list) else [dtype] * len(self.columns)
        optionals = optional if isinstance(optional, list) else [optional] * len(self.columns)
        for name, col_dtype, col_optional in zip(self.columns, dtypes, optionals, strict=True):
            self.cast(name, ct.UNKNOWN if col_dtype is None else col_dtype, col_optional)
        for row in source:
            self.add_data(*row)

    # --- types -------------------------------------------------------------------------------
    @property
    def column_types(self) -> dict[str, Any]:
        """The columns' types as W&B's ``column_types`` JSON (a ``typedDict``)."""
        return self._column_types

    def _type_map(self) -> dict[str, Any]:
        type_map: dict[str, Any] = self._column_types["params"]["type_map"]
        return type_map

    def cast(self, col_name: Any, dtype: Any, optional: bool = False) -> dict[str, Any]:
        """Give a column a type (a Python type, a media class, an example value, ...);
        ``TypeError`` if a value already in it does not fit."""
        if col_name not in self.columns:
            raise InvalidInputError(f"column {col_name!r} is not in this table; columns: {self.columns}")
        wbtype = ct.from_dtype(dtype)
        if optional:
            wbtype = ct.optional(wbtype)
        index = self.columns.index(col_name)
        for row in self.data:
            narrowed = ct.assign(wbtype, row[index])
            if narrowed is None:
                raise TypeError(
                    f"Existing data {row[index]!r} of column {col_name!r} "
                    f"cannot be cast to {ct.printed(wbtype)}"
                )
            wbtype = narrowed
        self._type_map()[str(col_name)] = wbtype
        return wbtype

    # --- rows and columns ----------------------------------------------------------------------
    def _mutating(self) -> None:
        self._artifact_source = None  # changed: no longer the entry it was read from
        if self.log_mode in ("MUTABLE", "INCREMENTAL"):
            self._logged_once = False
            self._run_pointer = None
        elif self.log_mode == "IMMUTABLE" and self._logged_once:
            _log.warning(
                "You are mutating a Table with log_mode='IMMUTABLE' that has been logged already. "
                "Subsequent log() calls will have no effect. "
                "Set log_mode='MUTABLE' to enable re-logging after mutations"
            )

    def add_data(self, *data: Any) -> None:
        """Add a row; ``ValueError`` if its length is wrong, ``TypeError`` if a value does
        not fit its column's type."""
        if len(data) != len(self.columns):
            raise ValueError(
                f"This table expects {len(self.columns)} columns: {self.columns}, found {len(data)}"
            )
        self._mutating()
        for column, value in zip(self.columns, data, strict=True):
            if isinstance(value, _TableIndex) and value._table is not None:
                current = self._type_map()[str(column)]
                if current["wb_type"] != "foreignIndex" or ct.params(current)["table"] is not value._table:
                    self.cast(column, ct.foreign_index(value._table))  # as W&B: never optional
        row = {str(c): v for c, v in zip(self.columns, data, strict=True)}
        result = ct.assign(self._column_types, row)
        if result is None:
            problems = [
                f"column {c!r}: {v!r} does not fit {ct.printed(self._type_map()[str(c)])}"
                for c, v in zip(self.columns, data, strict=True)
                if ct.assign(self._type_map()[str(c)], v) is None
            ]
            raise TypeError("Data row contained incompatible types:\n" + "\n".join(problems))
        self._column_types = result
        self.data.append(self._with_indexes(list(data)))

    def _with_indexes(self, row: list[Any]) -> list[Any]:
        """The row with each cell of a ``foreignIndex`` column as an index into its table."""
        for position, column in enumerate(self.columns):
            target = _indexed_table(self._type_map().get(str(column)))
            value = row[position]
            is_index = isinstance(value, _TableIndex) and value._table is not None
            if target is not None and value is not None and not is_index:
                row[position] = target.index_ref(int(value))
        return row

    def add_row(self, *row: Any) -> None:
        self.add_data(*row)

    def add_column(self, name: str, data: Any, optional: bool = False) -> None:
        """Add a column of values (one per existing row)."""
        if not isinstance(name, str) or name in self.columns:
            raise InvalidInputError(
                f"column name must be a new string, got {name!r} (columns: {self.columns})"
            )
        if not (isinstance(data, list) or _is_ndarray(data)):
            raise InvalidInputError(f"column data must be a list or numpy array, got {type(data).__name__}")
        first = not self.columns
        if not first and len(data) != len(self.data):
            raise InvalidInputError(
                f"column {name!r} has {len(data)} values; the table has {len(self.data)} rows"
            )
        self._mutating()
        saved = ([list(r) for r in self.data], list(self.columns))
        for index in range(len(data)):
            if first:
                self.data.append([])
            self.data[index].append(data[index])
        self.columns.append(name)
        try:
            self.cast(name, ct.UNKNOWN, optional=optional)
        except TypeError:
            self.data, self.columns = saved
            raise

    def add_computed_columns(self, fn: Callable[[int, dict[Any, Any]], dict[str, Any]]) -> None:
        """Add the columns ``fn(index, row as a dict)`` returns for each row."""
        if self.log_mode == "INCREMENTAL":
            raise InvalidInputError(
                "add_computed_columns is not supported for tables with log_mode='INCREMENTAL'; "
                "use 'MUTABLE' or 'IMMUTABLE'"
            )
        new_columns: dict[str, list[Any]] = {}
        for index, row in self.iterrows():
            computed = fn(index, dict(zip(self.columns, row, strict=True)))
            if not isinstance(computed, dict):
                raise InvalidInputError(f"add_computed_columns: fn must return a dict, got {computed!r}")
            for key, value in computed.items():
                new_columns.setdefault(key, []).append(value)
        for name, values in new_columns.items():
            self.add_column(name, values)

    def get_column(self, name: Any, convert_to: str | None = None) -> Any:
        """A column's values; ``convert_to="numpy"`` returns a numpy array (media as arrays)."""
        if name not in self.columns:
            raise InvalidInputError(f"column {name!r} is not in this table; columns: {self.columns}")
        if convert_to not in (None, "numpy"):
            raise InvalidInputError(f"convert_to must be None or 'numpy', got {convert_to!r}")
        index = self.columns.index(name)
        values = [row[index] for row in self.data]
        if convert_to is None:
            return values
        np = optional_module("numpy", "get_column(convert_to='numpy')")
        return np.array([v.to_data_array() if hasattr(v, "to_data_array") else v for v in values])

    def get_index(self) -> list[_TableIndex]:
        return [self.index_ref(i) for i in range(len(self.data))]

    def index_ref(self, index: int) -> _TableIndex:
        ref = _TableIndex(index)
        ref.set_table(self)
        return ref

    def get_dataframe(self) -> Any:
        pd = optional_module("pandas", "get_dataframe()")
        return pd.DataFrame.from_records(self.data, columns=self.columns)

    def iterrows(self) -> Iterator[tuple[_TableIndex, list[Any]]]:
        for index in range(len(self.data)):
            yield self.index_ref(index), self.data[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table) or self.columns != other.columns or len(self.data) != len(other.data):
            return False
        for mine, theirs in zip(self.data, other.data, strict=True):
            for a, b in zip(mine, theirs, strict=True):
                same = a == b
                if hasattr(same, "all"):
                    same = bool(same.all())
                if not same:
                    return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Table {len(self.data)} rows x {len(self.columns)} columns {self.columns}>"

    # --- JSON -------------------------------------------------------------------------------
    def _rows_to_write(self) -> list[list[Any]]:
        limit = Table.MAX_ARTIFACT_ROWS
        start = 0
        if self.log_mode == "INCREMENTAL" and self._last_logged_idx is not None:
            start = self._last_logged_idx + 1
        rows = self.data[start:]
        if len(rows) > limit:
            _log.warning("Truncating Table to %d rows (Table.MAX_ARTIFACT_ROWS)", limit)
        return rows[:limit]

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        import copy

        rows = self._rows_to_write()
        column_types = copy.deepcopy(self._column_types)
        type_map = column_types["params"]["type_map"]
        serialized: set[int] = set()
        for index, name in enumerate(self.columns):
            target = _indexed_table(type_map[str(name)])
            if target is not None:  # the table it indexes goes beside it, as W&B stores it
                entry = artifact.add(target, f"media/tables/t_{secrets.token_hex(4)}")
                type_map[str(name)] = {"wb_type": "foreignIndex", "params": {"table": entry.path}}
                continue
            array_type = ct.ndarray_member(type_map[str(name)])
            if array_type is None:
                continue
            shape = array_type["params"].get("shape")
            if isinstance(shape, list) and len(shape) == 1 and shape[0] <= self._MAX_EMBEDDING_DIMENSIONS:
                type_map[str(name)] = ct.list_type(ct.NUMBER, shape[0])
                continue
            np = optional_module("numpy", "a Table with array columns")
            file_name = f"{name}_{secrets.token_hex(4)}.npz"
            path = media_tmp_path(file_name)
            np.savez_compressed(path, **{str(name): np.array([row[index] for row in rows])})
            entry = artifact.add_file(path, name="media/serialized_data/" + file_name)
            array_type["params"]["serialization_path"] = {"path": entry.path, "key": str(name)}
            serialized.add(index)
        data = [
            [None if i in serialized else cell_json(v, artifact) for i, v in enumerate(row)] for row in rows
        ]
        json_obj: dict[str, Any] = {
            "_type": self._log_type,
            "columns": self.columns,
            "data": data,
            "ncols": len(self.columns),
            "nrows": len(data),
            "column_types": column_types,
            "log_mode": self.log_mode,
        }
        if self.log_mode == "INCREMENTAL":
            json_obj["increment_num"] = self._increment_num or 0
            json_obj["previous_increments_paths"] = []
        return json_obj

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> Table:
        columns = list(json_obj["columns"])
        column_types = json_obj.get("column_types")
        arrays: dict[int, Any] = {}
        timestamps: set[int] = set()
        if column_types is not None:
            type_map = column_types["params"]["type_map"]
            for name, col_type in type_map.items():
                index = columns.index(name) if name in columns else columns.index(int(name))
                if col_type.get("wb_type") == "foreignIndex":  # unresolved, it stays as stored
                    target = source_artifact.get(str(col_type.get("params", {}).get("table")))
                    if isinstance(target, Table):
                        type_map[name] = ct.foreign_index(target)
                if ct.has_member(col_type, "timestamp"):
                    timestamps.add(index)
                array_type = ct.ndarray_member(col_type)
                where = None if array_type is None else array_type.get("params", {}).get("serialization_path")
                if array_type is not None and where:
                    np = optional_module("numpy", "reading a Table with array columns")
                    with np.load(source_artifact.get_entry(where["path"]).download()) as npz:
                        arrays[index] = npz[where["key"]]
                    array_type["params"]["serialization_path"] = None
        raw_rows = increment_rows(json_obj, source_artifact)
        data = [
            [cell_value(item, r, c, timestamps, arrays, source_artifact) for c, item in enumerate(row)]
            for r, row in enumerate(raw_rows)
        ]
        table = cls(columns=columns, log_mode=json_obj.get("log_mode", "IMMUTABLE"), allow_mixed_types=True)
        if column_types is not None:
            table._column_types = ct.typed_dict(column_types["params"]["type_map"])
        table.data = [table._with_indexes(row) for row in data]
        return table
