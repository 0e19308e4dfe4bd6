"""Metric history: W&B's step rules, batching of writes, and the rows as stored."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archivist.core.errors import InvalidInputError, UsageError
from archivist.sdk import session
from archivist.sdk.context import get_context
from archivist.sdk.history import History
from archivist.sdk.public_runs import get_public_run


class Store:
    """Where a History writes: keeps every batch it was given."""

    def __init__(self, fail_times: int = 0) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_times = fail_times

    def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise OSError("store unavailable")
        self.batches.append([dict(r) for r in rows])

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [row for batch in self.batches for row in batch]


def user_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def test_each_log_commits_a_row_with_step_time_and_runtime() -> None:
    store = Store()
    start = time.time() - 5
    history = History(store.write, start_time=start)
    history.log({"loss": 1.0})
    history.log({"loss": 0.5})
    history.close()
    assert [r["_step"] for r in store.rows] == [0, 1]
    assert [user_values(r) for r in store.rows] == [{"loss": 1.0}, {"loss": 0.5}]
    for row in store.rows:
        assert row["_runtime"] >= 5
        assert abs(row["_timestamp"] - time.time()) < 5
    assert history.step == 2 and history.last_step == 1


def test_commit_false_and_explicit_steps_merge_rows() -> None:
    store = Store()
    history = History(store.write, start_time=time.time())
    history.log({"a": 1}, commit=False)
    history.log({"b": 2})  # merges into step 0 and commits it
    history.log({"c": 3}, step=5)  # not committed until the step advances
    history.log({"d": 4}, step=5)
    assert history.last_step == 0
    history.log({"e": 5}, step=7)  # commits step 5
    history.log({"f": 6}, step=7, commit=True)  # commits step 7 now
    history.log({"g": 7}, step=8)
    history.close()  # commits the pending step 8
    assert [(r["_step"], user_values(r)) for r in store.rows] == [
        (0, {"a": 1, "b": 2}),
        (5, {"c": 3, "d": 4}),
        (7, {"e": 5, "f": 6}),
        (8, {"g": 7}),
    ]


def test_a_step_below_the_current_one_is_ignored_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    history = History(store.write, start_time=time.time())
    history.log({"x": 1}, step=3)
    history.log({"x": 2}, step=4)
    returned = history.log({"x": 99}, step=2)
    history.close()
    assert returned == {}
    assert "step 2 is below the current step 4" in capsys.readouterr().err
    assert [(r["_step"], r["x"]) for r in store.rows] == [(3, 1), (4, 2)]


def test_rows_are_written_in_batches_of_100_and_the_rest_at_close() -> None:
    store = Store()
    history = History(store.write, start_time=time.time(), flush_seconds=60)
    for i in range(250):
        history.log({"i": i})
    assert [len(b) for b in store.batches] == [100, 100]
    history.close()
    assert [len(b) for b in store.batches] == [100, 100, 50]
    assert [r["i"] for r in store.rows] == list(range(250))
    assert [r["_step"] for r in store.rows] == list(range(250))


def test_a_few_rows_are_written_after_the_flush_interval_without_close() -> None:
    store = Store()
    history = History(store.write, start_time=time.time(), flush_seconds=0.2)
    history.log({"x": 1})
    history.log({"x": 2})
    deadline = time.monotonic() + 5
    while not store.rows and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r["x"] for r in store.rows] == [1, 2]
    history.close()
    assert len(store.rows) == 2


def test_a_failed_write_keeps_the_rows_for_the_next_flush() -> None:
    store = Store(fail_times=1)
    history = History(store.write, start_time=time.time(), batch_rows=2, flush_seconds=60)
    history.log({"x": 1})
    with pytest.raises(OSError, match="unavailable"):
        history.log({"x": 2})
    history.log({"x": 3})
    history.close()
    assert [r["x"] for r in store.rows] == [1, 2, 3]


def test_values_become_json_friendly() -> None:
    store = Store()
    history = History(store.write, start_time=time.time())
    history.log(
        {
            "nan": math.nan,
            "inf": math.inf,
            "np_inf": np.float32("-inf"),
            "np": np.float64(0.5),
            "arr": np.ones(2),
        }
    )
    history.close()
    assert user_values(store.rows[0]) == {
        "nan": None,
        "inf": math.inf,
        "np_inf": -math.inf,
        "np": 0.5,
        "arr": [1.0, 1.0],
    }


@pytest.mark.parametrize("step", [-1, 1.5, True, "3"])
def test_invalid_steps_are_refused(step: Any) -> None:
    history = History(Store().write, start_time=time.time())
    with pytest.raises(InvalidInputError, match="step must be a non-negative integer"):
        history.log({"x": 1}, step=step)


def test_numpy_integer_steps_are_accepted() -> None:
    store = Store()
    history = History(store.write, start_time=time.time())
    history.log({"x": 1}, step=np.int64(4), commit=True)
    history.close()
    assert store.rows[0]["_step"] == 4


@pytest.mark.parametrize(("data", "message"), [([1, 2], "dict of metrics"), ({1: 2}, "non-empty strings")])
def test_bad_data_is_refused(data: Any, message: str) -> None:
    history = History(Store().write, start_time=time.time())
    with pytest.raises(InvalidInputError, match=message):
        history.log(data)


# --- through a real run -------------------------------------------------------------------------
def test_logged_rows_are_stored_in_order(archivist_env: Path) -> None:
    with session.init(project="hist") as run:
        for i in range(230):
            run.log({"loss": 1 / (i + 1), "epoch": i // 10})
        run.log({"only_here": 1}, step=300)
    rows = list(get_public_run(get_context(), run.path).scan_history())
    assert [r["_step"] for r in rows] == [*range(230), 300]
    assert rows[5]["loss"] == pytest.approx(1 / 6)
    assert rows[-1]["only_here"] == 1 and "loss" not in rows[-1]


def test_history_rows_reach_the_store_before_finish(archivist_env: Path) -> None:
    run = session.init(project="hist")
    run.log({"x": 1})
    public = get_public_run(get_context(), run.path)
    deadline = time.monotonic() + 6
    while not list(public.scan_history()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [r["x"] for r in public.scan_history()] == [1]
    run.finish()


def test_log_is_cheap_in_a_tight_loop(archivist_env: Path) -> None:
    run = session.init(project="hist")
    started = time.perf_counter()
    for i in range(5000):
        run.log({"i": i, "loss": 0.5})
    elapsed = time.perf_counter() - started
    run.finish()
    assert elapsed < 10, f"5000 log calls took {elapsed:.1f} s"
    rows = list(get_public_run(get_context(), run.path).scan_history(keys=["i"]))
    assert len(rows) == 5000


def test_log_needs_an_active_run(archivist_env: Path) -> None:
    with pytest.raises(UsageError, match=r"archivist.init\(\) before archivist.log\(\)"):
        session.log({"x": 1})
    run = session.init(project="hist")
    session.log({"x": 1})
    session.log({"x": 2}, step=5)
    session.finish()
    with pytest.raises(UsageError, match="is finished"):
        run.log({"x": 3})
    with pytest.raises(UsageError):
        session.log({"x": 3})
    rows = list(get_public_run(get_context(), run.path).scan_history())
    assert [(r["_step"], r["x"]) for r in rows] == [(0, 1), (5, 2)]


def test_resumed_run_continues_its_steps(archivist_env: Path) -> None:
    with session.init(project="hist", id="resumeme") as run:
        run.log({"x": 0})
        run.log({"x": 1})
    with session.init(project="hist", id="resumeme", resume="must") as again:
        assert again.step == 2
        again.log({"x": 2})
    rows = list(get_public_run(get_context(), run.path).scan_history())
    assert [(r["_step"], r["x"]) for r in rows] == [(0, 0), (1, 1), (2, 2)]
