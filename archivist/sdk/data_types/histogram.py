"""``Histogram``: counts per bin (from values, or from ``numpy.histogram``'s result);
its JSON carries the numbers themselves (``values`` and ``bins``), no file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.data_types.wb_value import ArtifactSource, ArtifactTarget, WBValue


def _plain(values: Any) -> list[Any]:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _bins_of(sequence: Sequence[float], num_bins: int) -> tuple[list[int], list[float]]:
    values = [float(v) for v in _plain(sequence)]
    if not values:
        raise InvalidInputError("Histogram needs at least one value")
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / num_bins
    bins = [low + i * width for i in range(num_bins)] + [high]
    counts = [0] * num_bins
    for value in values:
        counts[min(int((value - low) / width), num_bins - 1)] += 1
    return counts, bins


class Histogram(WBValue):
    """W&B's ``wandb.Histogram``."""

    MAX_LENGTH = 512
    _log_type = "histogram"

    def __init__(
        self, sequence: Sequence[float] | None = None, np_histogram: Any = None, num_bins: int = 64
    ) -> None:
        if np_histogram is not None:
            if len(np_histogram) != 2:
                raise InvalidInputError(
                    "np_histogram must be the (counts, bin edges) pair numpy.histogram returns"
                )
            self.histogram = _plain(np_histogram[0])
            self.bins = _plain(np_histogram[1])
        elif sequence is not None:
            if not 1 <= num_bins <= self.MAX_LENGTH:
                raise InvalidInputError(f"num_bins must be between 1 and {self.MAX_LENGTH}, got {num_bins}")
            self.histogram, self.bins = _bins_of(sequence, num_bins)
        else:
            raise InvalidInputError("Histogram needs a sequence of values or np_histogram")
        if len(self.histogram) > self.MAX_LENGTH:
            raise InvalidInputError(f"The maximum length of a histogram is {self.MAX_LENGTH}")
        if len(self.histogram) + 1 != len(self.bins):
            raise InvalidInputError("len(bins) must be len(histogram) + 1")

    def to_json(self, artifact: ArtifactTarget | None = None) -> dict[str, Any]:
        return {"_type": self._log_type, "values": self.histogram, "bins": self.bins}

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource | None = None) -> Histogram:
        return cls(np_histogram=(json_obj["values"], json_obj["bins"]))

    def column_type(self) -> dict[str, Any]:
        return {"wb_type": "pythonObject", "params": {"class_name": "Histogram"}}  # as W&B types it

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Histogram) and (self.histogram, self.bins) == (other.histogram, other.bins)

    __hash__ = None  # type: ignore[assignment]
