"""W&B's preset charts over a table the user made: ``line``, ``scatter``, ``bar``,
``histogram``, and ``line_series`` (which builds its table from lists of series).
Names, parameters, defaults and the recorded fields are W&B's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.plots.custom_chart import CustomChart, plot_table
from archivist.sdk.plots.plain_values import plain_list

if TYPE_CHECKING:
    from archivist.sdk.data_types.table import Table


def line(
    table: Table, x: str, y: str, stroke: str | None = None, title: str = "", split_table: bool = False
) -> CustomChart:
    """Points ``(x, y)`` joined by lines; ``stroke`` names a column that splits them into lines."""
    return plot_table(
        data_table=table,
        vega_spec_name="wandb/line/v0",
        fields={"x": x, "y": y, "stroke": stroke},
        string_fields={"title": title},
        split_table=split_table,
    )


def scatter(table: Table, x: str, y: str, title: str = "", split_table: bool = False) -> CustomChart:
    return plot_table(
        data_table=table,
        vega_spec_name="wandb/scatter/v0",
        fields={"x": x, "y": y},
        string_fields={"title": title},
        split_table=split_table,
    )


def bar(table: Table, label: str, value: str, title: str = "", split_table: bool = False) -> CustomChart:
    return plot_table(
        data_table=table,
        vega_spec_name="wandb/bar/v0",
        fields={"label": label, "value": value},
        string_fields={"title": title},
        split_table=split_table,
    )


def histogram(table: Table, value: str, title: str = "", split_table: bool = False) -> CustomChart:
    return plot_table(
        data_table=table,
        vega_spec_name="wandb/histogram/v0",
        fields={"value": value},
        string_fields={"title": title},
        split_table=split_table,
    )


def line_series(
    xs: Any,
    ys: Any,
    keys: Iterable[str] | None = None,
    title: str = "",
    xname: str = "x",
    split_table: bool = False,
) -> CustomChart:
    """Several lines over shared or per-line x values; table ``step``, ``lineKey``, ``lineVal``."""
    from archivist.sdk.data_types.table import Table

    x_series = plain_list(xs, "xs")
    y_series = [plain_list(y, "each of ys") for y in plain_list(ys, "ys")]
    if not x_series:
        raise InvalidInputError("xs is empty: pass the x values (one list, or one per line)")
    first = x_series[0]
    if not isinstance(first, Iterable) or isinstance(first, (str, bytes)):
        x_series = [x_series] * len(y_series)
    else:
        x_series = [plain_list(x, "each of xs") for x in x_series]
    if len(x_series) != len(y_series):
        raise InvalidInputError(
            f"Number of x-series ({len(x_series)}) must match y-series ({len(y_series)})."
        )
    names = [f"line_{i}" for i in range(len(y_series))] if keys is None else plain_list(keys, "keys")
    if len(names) != len(y_series):
        raise InvalidInputError(f"Number of keys ({len(names)}) must match y-series ({len(y_series)}).")
    data = [
        [x, names[i], y]
        for i, (x_values, y_values) in enumerate(zip(x_series, y_series, strict=False))
        for x, y in zip(x_values, y_values, strict=False)
    ]
    return plot_table(
        data_table=Table(data=data, columns=["step", "lineKey", "lineVal"]),
        vega_spec_name="wandb/lineseries/v0",
        fields={"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"},
        string_fields={"title": title, "xname": xname},
        split_table=split_table,
    )
