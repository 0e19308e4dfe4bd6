"""``run.define_metric``: how a metric is summarised and which metric is its x axis (W&B's).

``define_metric("loss", summary="min,mean", goal="minimize", step_metric="epoch")``
makes ``run.summary["loss"]`` hold ``{"min": ..., "mean": ...}`` over the committed
history rows instead of the last value; ``summary="none"`` keeps the metric out of the
summary; ``best`` is the minimum or maximum as ``goal`` says. With ``step_metric``
(and ``step_sync``, on by default) a row logging the metric without its step metric
gets the step metric's last logged value, as in W&B. Names may end in ``*`` to define
every metric with that prefix (``"val/*"``). The definitions are stored with the run's
config under ``_wandb`` (``{"m": [...]}``), where W&B keeps its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from archivist.core.errors import InvalidInputError

SUMMARIES = ("min", "max", "mean", "last", "first", "best", "copy", "none")
GOALS = {"minimize": "minimize", "min": "minimize", "maximize": "maximize", "max": "maximize"}
CONFIG_KEY = "_wandb"


@dataclass(frozen=True)
class MetricDefinition:
    """What ``define_metric`` recorded for one name (W&B's ``wandb.Metric``)."""

    name: str
    step_metric: str | None = None
    step_sync: bool | None = None
    hidden: bool | None = None
    summary: tuple[str, ...] = ()
    goal: str | None = None

    def matches(self, key: str) -> bool:
        if self.name.endswith("*"):
            return key.startswith(self.name[:-1]) and not key.startswith("_")
        return key == self.name

    @property
    def aggregates(self) -> tuple[str, ...]:
        """The summary's statistics (empty: the last value, as without a definition)."""
        return tuple(s for s in self.summary if s not in ("copy", "none"))


@dataclass
class _Running:
    count: int = 0
    total: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


class MetricDefinitions:
    """The run's definitions, and the running statistics their summaries need."""

    def __init__(self, stored: object = None, summary: Mapping[str, Any] | None = None) -> None:
        """``stored``: the run's ``_wandb`` config value; ``summary``: its stored summary, whose
        statistics a resumed run continues (``mean`` starts again: its count is not stored)."""
        self._definitions: dict[str, MetricDefinition] = {}
        self._running: dict[str, _Running] = {}
        self._last: dict[str, Any] = {}
        if isinstance(stored, Mapping):
            for item in stored.get("m") or ():
                if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                    known = {k: item[k] for k in MetricDefinition.__dataclass_fields__ if k in item}
                    known["summary"] = tuple(known.get("summary") or ())
                    self._definitions[item["name"]] = MetricDefinition(**known)
        for key, value in (summary or {}).items():
            if isinstance(value, Mapping) and self.find(key) is not None:
                kept = {k: v for k, v in value.items() if k in ("min", "max", "first", "last", "best")}
                self._running[key] = _Running(stats=kept)

    def define(
        self,
        name: str,
        step_metric: str | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> MetricDefinition:
        """Check and record a definition (arguments as ``Run.define_metric`` takes them)."""
        if not isinstance(name, str) or not name or "*" in name[:-1]:
            raise InvalidInputError(
                f"invalid metric name {name!r}: use a non-empty string, optionally ending in '*'"
            )
        if step_metric is not None and (not isinstance(step_metric, str) or not step_metric):
            raise InvalidInputError(f"invalid step_metric {step_metric!r}: use the name of a metric")
        for flag, value in (("step_sync", step_sync), ("hidden", hidden), ("overwrite", overwrite)):
            if value is not None and not isinstance(value, bool):
                raise InvalidInputError(f"invalid {flag} {value!r}: use True, False or None")
        summaries = _summaries(summary)
        if goal is not None and goal not in GOALS:
            raise InvalidInputError(f"invalid goal {goal!r}: use 'minimize' or 'maximize'")
        if "best" in summaries and goal is None:
            raise InvalidInputError(f"summary 'best' of {name!r} needs a goal: 'minimize' or 'maximize'")
        previous = self._definitions.get(name)
        if previous is not None and overwrite is False:
            return previous
        sync = step_sync if step_sync is not None else (True if step_metric else None)
        definition = MetricDefinition(
            name=name,
            step_metric=step_metric,
            step_sync=sync,
            hidden=hidden,
            summary=summaries,
            goal=GOALS[goal] if goal is not None else None,
        )
        self._definitions[name] = definition
        self._running.pop(name, None)
        return definition

    def __bool__(self) -> bool:
        return bool(self._definitions)

    def stored(self) -> dict[str, Any]:
        """The config value under ``_wandb`` that records the definitions."""
        return {"m": [asdict(d) for d in self._definitions.values()]}

    def find(self, key: str) -> MetricDefinition | None:
        exact = self._definitions.get(key)
        if exact is not None:
            return exact
        globs = [d for d in self._definitions.values() if d.name.endswith("*") and d.matches(key)]
        return max(globs, key=lambda d: len(d.name)) if globs else None

    def sync_steps(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """``data`` plus the last value of the step metric of each metric it logs whose
        definition syncs steps; remembers the step metrics' values."""
        if not self._definitions:
            return data
        added: dict[str, Any] = {}
        for key in data:
            definition = self.find(key)
            if definition is None or not definition.step_metric or not definition.step_sync:
                continue
            step_key = definition.step_metric
            if step_key not in data and step_key in self._last:
                added[step_key] = self._last[step_key]
        for key, value in data.items():
            self._last[key] = value
        return {**data, **added} if added else data

    def summary_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """What the summary takes from a ``log`` call: defined metrics as their statistics
        (counted once per committed row, which carries ``_step``), ``none`` left out."""
        if not self._definitions:
            return dict(values)
        committed = "_step" in values
        out: dict[str, Any] = {}
        for key, value in values.items():
            definition = None if key.startswith("_") else self.find(key)
            if definition is None or (not definition.aggregates and "none" not in definition.summary):
                out[key] = value
            elif "none" in definition.summary or not committed:
                continue
            else:
                out[key] = self._aggregate(key, definition, value)
        return out

    def _aggregate(self, key: str, definition: MetricDefinition, value: Any) -> dict[str, Any]:
        running = self._running.setdefault(key, _Running())
        stats = running.stats
        stats.setdefault("first", value)
        stats["last"] = value
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            running.count += 1
            running.total += value
            stats["min"] = value if "min" not in stats else min(stats["min"], value)
            stats["max"] = value if "max" not in stats else max(stats["max"], value)
            stats["mean"] = running.total / running.count
            stats["best"] = stats["min"] if definition.goal == "minimize" else stats["max"]
        return {name: stats[name] for name in definition.aggregates if name in stats}


def _summaries(summary: object) -> tuple[str, ...]:
    if summary is None:
        return ()
    if not isinstance(summary, str):
        raise InvalidInputError(
            f"invalid summary {summary!r}: use a comma-separated string of {', '.join(SUMMARIES)}"
        )
    names = tuple(part.strip() for part in summary.split(",") if part.strip())
    unknown = [name for name in names if name not in SUMMARIES]
    if unknown or not names:
        raise InvalidInputError(
            f"invalid summary {summary!r}: use a comma-separated list of {', '.join(SUMMARIES)}"
        )
    return names
