"""Automation filters: a small JSON language, checked when an automation is saved and
evaluated against an event's facts when one happens.

    {}                                                   every event
    {"and": [F, ...]}                                    all of them
    {"field": "alias", "op": "eq", "value": "prod"}      fields: alias, tag, run_name,
    {"field": "tag", "op": "regex", "value": "^gold"}    run_user, run_state; ops: eq,
    {"field": "run_state", "op": "in", "value": [...]}   regex (search), in, contains
    {"metric": {"name", "agg", "window", "cmp", "threshold"}}                 RUN_METRIC
    {"metric_change": {"name", "agg", "window", "prior_window", "change_type",
                       "change_dir", "threshold"}}                            RUN_METRIC_CHANGE

Regexes run with Python's ``re`` on short names only (aliases, tags, run names).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from archivist.core.errors import InvalidInputError

FIELDS = ("alias", "tag", "run_name", "run_user", "run_state")
OPS = ("eq", "regex", "in", "contains")
AGGS = ("MAX", "MIN", "AVERAGE")
CMPS = (">", ">=", "<", "<=", "==", "!=")
CHANGE_TYPES = ("ABSOLUTE", "RELATIVE")
CHANGE_DIRS = ("INCREASE", "DECREASE", "ANY")
MAX_WINDOW = 1000


def validate_filter(tree: object) -> dict[str, Any]:
    """``tree`` as a checked filter; ``InvalidInputError`` names what is wrong."""
    if tree is None:
        return {}
    if not isinstance(tree, Mapping):
        raise InvalidInputError(f"an automation filter is a JSON object, not {tree!r}")
    tree = dict(tree)
    if not tree:
        return {}
    if "and" in tree:
        parts = tree["and"]
        if set(tree) != {"and"} or not isinstance(parts, list):
            raise InvalidInputError(f"'and' takes a list of filters and nothing beside it: {tree!r}")
        return {"and": [validate_filter(part) for part in parts]}
    if "field" in tree:
        return _validate_field(tree)
    if set(tree) == {"metric"}:
        return {"metric": _validate_metric(tree["metric"], change=False)}
    if set(tree) == {"metric_change"}:
        return {"metric_change": _validate_metric(tree["metric_change"], change=True)}
    raise InvalidInputError(
        f"unknown automation filter {tree!r}: use 'and', 'field', 'metric' or 'metric_change'"
    )


def _validate_field(tree: Mapping[str, Any]) -> dict[str, Any]:
    name, op, value = tree.get("field"), tree.get("op"), tree.get("value")
    if set(tree) != {"field", "op", "value"} or name not in FIELDS or op not in OPS:
        raise InvalidInputError(
            f"invalid field filter {dict(tree)!r}: fields {FIELDS}, ops {OPS}, and a value"
        )
    if op == "in":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInputError(f"'in' takes a list of strings, not {value!r}")
    elif not isinstance(value, str):
        raise InvalidInputError(f"{op!r} takes a string, not {value!r}")
    if op == "regex" and isinstance(value, str):
        try:
            re.compile(value)
        except re.error as error:
            raise InvalidInputError(f"invalid regex {value!r} in the {name} filter: {error}") from None
    return {"field": name, "op": op, "value": value}


def _validate_metric(spec: object, *, change: bool) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise InvalidInputError(f"a metric filter is a JSON object, not {spec!r}")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"a metric filter names its metric: {dict(spec)!r}")
    agg = spec.get("agg") or ("AVERAGE" if spec.get("window", 1) != 1 else "MAX")
    window = spec.get("window", 1)
    if agg not in AGGS or not isinstance(window, int) or not 1 <= window <= MAX_WINDOW:
        raise InvalidInputError(
            f"metric {name!r}: agg is one of {AGGS} over a window of 1 to {MAX_WINDOW} values"
        )
    threshold = spec.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise InvalidInputError(f"metric {name!r} needs a numeric threshold, not {threshold!r}")
    checked: dict[str, Any] = {"name": name, "agg": agg, "window": window, "threshold": threshold}
    if not change:
        if spec.get("cmp") not in CMPS:
            raise InvalidInputError(f"metric {name!r}: cmp is one of {CMPS}, not {spec.get('cmp')!r}")
        checked["cmp"] = spec["cmp"]
        return checked
    prior = spec.get("prior_window", window)
    kind, direction = spec.get("change_type", "ABSOLUTE"), spec.get("change_dir", "ANY")
    if not isinstance(prior, int) or not 1 <= prior <= MAX_WINDOW or kind not in CHANGE_TYPES:
        raise InvalidInputError(
            f"metric {name!r}: prior_window 1 to {MAX_WINDOW}, change_type one of {CHANGE_TYPES}"
        )
    if direction not in CHANGE_DIRS or threshold <= 0:
        raise InvalidInputError(f"metric {name!r}: change_dir one of {CHANGE_DIRS} and a positive threshold")
    checked.update(prior_window=prior, change_type=kind, change_dir=direction)
    return checked


def matches(tree: Mapping[str, Any], facts: Mapping[str, Any], values: Sequence[float] = ()) -> bool:
    """Whether an event with ``facts`` passes the filter; ``values``: the run's values of the
    filter's metric, oldest first (for metric filters)."""
    if not tree:
        return True
    if "and" in tree:
        return all(matches(part, facts, values) for part in tree["and"])
    if "field" in tree:
        return _field_matches(tree, facts.get(tree["field"]))
    if "metric" in tree:
        return threshold_crossed(tree["metric"], values)
    if "metric_change" in tree:
        return change_crossed(tree["metric_change"], values)
    return False


def _field_matches(tree: Mapping[str, Any], actual: object) -> bool:
    if not isinstance(actual, str):
        return False
    op, value = tree["op"], tree["value"]
    if op == "eq":
        return bool(actual == value)
    if op == "in":
        return actual in value
    if op == "contains":
        return value in actual
    return re.search(value, actual) is not None


def metric_names(tree: Mapping[str, Any]) -> list[str]:
    """The metrics a filter reads."""
    if "and" in tree:
        return [name for part in tree["and"] for name in metric_names(part)]
    for key in ("metric", "metric_change"):
        if key in tree:
            return [tree[key]["name"]]
    return []


def without_metrics(tree: Mapping[str, Any]) -> dict[str, Any]:
    """The filter's run filters alone (cheap to check before reading a run's history)."""
    if "and" in tree:
        return {"and": [without_metrics(part) for part in tree["and"]]}
    return {} if "metric" in tree or "metric_change" in tree else dict(tree)


def values_needed(tree: Mapping[str, Any]) -> int:
    """How many of a metric's latest values the filter reads."""
    if "and" in tree:
        return max([values_needed(part) for part in tree["and"]], default=0)
    if "metric" in tree:
        return int(tree["metric"]["window"])
    if "metric_change" in tree:
        return int(tree["metric_change"]["window"] + tree["metric_change"]["prior_window"])
    return 0


def aggregate(agg: str, values: Sequence[float]) -> float:
    if agg == "MAX":
        return max(values)
    if agg == "MIN":
        return min(values)
    return sum(values) / len(values)


def threshold_crossed(spec: Mapping[str, Any], values: Sequence[float]) -> bool:
    window = int(spec["window"])
    if len(values) < window:
        return False
    value, limit = aggregate(spec["agg"], values[-window:]), float(spec["threshold"])
    return {
        ">": value > limit,
        ">=": value >= limit,
        "<": value < limit,
        "<=": value <= limit,
        "==": value == limit,
        "!=": value != limit,
    }[spec["cmp"]]


def change_crossed(spec: Mapping[str, Any], values: Sequence[float]) -> bool:
    """The current window's aggregate against the prior (non-overlapping) window's."""
    window, prior = int(spec["window"]), int(spec["prior_window"])
    if len(values) < window + prior:
        return False
    now = aggregate(spec["agg"], values[-window:])
    before = aggregate(spec["agg"], values[-window - prior : -window])
    delta = now - before
    if spec["change_type"] == "RELATIVE":
        if before == 0:
            return False
        delta = delta / abs(before)
    limit = float(spec["threshold"])
    if spec["change_dir"] == "INCREASE":
        return delta >= limit
    if spec["change_dir"] == "DECREASE":
        return -delta >= limit
    return abs(delta) >= limit
