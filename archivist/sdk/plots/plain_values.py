"""What the plot functions accept for a list of values: lists, tuples, numpy arrays,
pandas Series (read through ``tolist()``, so numpy is never imported here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archivist.core.errors import InvalidInputError


def plain_list(values: Any, argument: str) -> list[Any]:
    """``values`` as a list of plain Python values; ``argument`` names it in the error."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidInputError(
            f"{argument} must be a list (or array) of values, got {type(values).__name__}"
        )
    return [v.tolist() if hasattr(v, "tolist") else v for v in values]
