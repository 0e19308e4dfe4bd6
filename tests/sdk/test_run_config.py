"""run.config and run.summary: dict and attribute access, JSON-friendly values,
and persistence to the store (debounced while running, complete at finish)."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pytest

from archivist.core.errors import ConflictError, InvalidInputError, UsageError
from archivist.core.models import RunRef
from archivist.sdk import session
from archivist.sdk.context import get_context
from archivist.sdk.run_config import Config, Summary


def stored_record(run: session.Run):
    return get_context().backend.get_run(RunRef(run.entity, run.project, run.id))


def wait_until(condition, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


# --- Config in memory ---------------------------------------------------------------------------
def test_config_item_and_attribute_access() -> None:
    config = Config({"lr": 0.1})
    config.epochs = 3
    config["batch"] = 32
    assert config.lr == 0.1
    assert config["epochs"] == 3
    assert config.get("batch") == 32
    assert config.get("missing", "dflt") == "dflt"
    assert "lr" in config and "nope" not in config
    assert sorted(config.keys()) == ["batch", "epochs", "lr"]
    assert dict(config.items()) == {"lr": 0.1, "epochs": 3, "batch": 32}
    assert config.as_dict() == {"lr": 0.1, "epochs": 3, "batch": 32}
    assert config.setdefault("lr", 9) == 0.1
    assert config.setdefault("momentum", 0.9) == 0.9
    assert len(config) == 4


def test_config_missing_attribute_is_attribute_error_naming_the_key() -> None:
    config = Config({"lr": 0.1})
    with pytest.raises(AttributeError, match="'dropout'"):
        _ = config.dropout
    assert getattr(config, "dropout", None) is None
    with pytest.raises(KeyError):
        _ = config["dropout"]


def test_config_keys_lose_argparse_dashes_and_accept_namespaces() -> None:
    config = Config()
    config.update({"--learning-rate": 0.5})
    config.update(argparse.Namespace(epochs=2, name="x"))
    assert config.as_dict() == {"learning-rate": 0.5, "epochs": 2, "name": "x"}
    with pytest.raises(InvalidInputError, match="'--'"):
        config.update({"--": 1})


def test_config_values_are_made_json_friendly() -> None:
    config = Config()
    config.update(
        {
            "nan": float("nan"),
            "np_int": np.int64(7),
            "np_arr": np.arange(3),
            "tup": (1, 2),
            "nested": {"a": 1.5},
        }
    )
    assert config.as_dict() == {
        "nan": None,
        "np_int": 7,
        "np_arr": [0, 1, 2],
        "tup": [1, 2],
        "nested": {"a": 1.5},
    }
    assert type(config.np_int) is int
    config.big = math.inf  # kept, as W&B keeps it
    config.update({3: "x", "path": Path("/data/train")})  # W&B's sanitising: "3", str(path)
    assert config.big == math.inf and config["3"] == "x" and config.path == "/data/train"


def test_config_update_refuses_changed_values_only_when_asked() -> None:
    config = Config({"lr": 0.1, "epochs": 1})
    config.update({"lr": 0.1, "new": 1}, allow_val_change=False)  # same value: fine
    with pytest.raises(ConflictError, match=r"'lr'.*0\.1.*0\.2.*allow_val_change"):
        config.update({"lr": 0.2, "other": 5}, allow_val_change=False)
    assert config.lr == 0.1 and "other" not in config  # nothing applied
    config.update({"lr": 0.2})  # the default allows changes
    assert config.lr == 0.2


def test_config_reports_each_change() -> None:
    calls: list[int] = []
    config = Config(on_change=lambda: calls.append(1))
    config.a = 1
    config["b"] = 2
    config.update({"c": 3})
    del config["a"]
    config.update({})
    assert len(calls) == 4
    assert config == {"b": 2, "c": 3}


# --- Summary in memory --------------------------------------------------------------------------
def test_summary_keeps_last_logged_value_unless_assigned_explicitly() -> None:
    summary = Summary()
    summary.update_from_history({"loss": 1.0, "acc": 0.5})
    summary.update_from_history({"loss": 0.5, "acc": 0.6})
    assert summary.as_dict() == {"loss": 0.5, "acc": 0.6}
    summary.acc = 0.99  # explicit: pinned
    summary.update_from_history({"loss": 0.25, "acc": 0.1})
    assert summary["acc"] == 0.99 and summary.loss == 0.25
    del summary["acc"]  # unpinned again
    summary.update_from_history({"acc": 0.7})
    assert summary.acc == 0.7
    summary.update({"best": 1}, worst=2)
    assert summary.get("best") == 1 and summary.worst == 2


# --- through a real run -------------------------------------------------------------------------
def test_init_config_is_stored_with_include_and_exclude(archivist_env: Path) -> None:
    with session.init(
        project="cfg", config={"lr": 0.1, "secret": "x", "epochs": 2}, config_exclude_keys=["secret"]
    ) as run:
        assert run.config.as_dict() == {"lr": 0.1, "epochs": 2}
    assert stored_record(run).config == {"lr": 0.1, "epochs": 2}
    with session.init(project="cfg", config=argparse.Namespace(a=1, b=2), config_include_keys=["a"]) as run2:
        assert run2.config.as_dict() == {"a": 1}
    with pytest.raises(InvalidInputError, match="not both"):
        session.init(project="cfg", config={"a": 1}, config_include_keys=["a"], config_exclude_keys=["b"])
    with pytest.raises(InvalidInputError, match="dict"):
        session.init(project="cfg", config=[1, 2])


def test_config_change_reaches_the_store_while_running(archivist_env: Path) -> None:
    run = session.init(project="cfg")
    run.config.lr = 0.01
    assert wait_until(lambda: stored_record(run).config.get("lr") == 0.01), "config not written within 5 s"
    run.summary["best"] = 3
    assert wait_until(lambda: stored_record(run).summary.get("best") == 3)
    assert stored_record(run).state.value == "running"
    run.finish()


def test_value_set_just_before_finish_is_not_lost(archivist_env: Path) -> None:
    run = session.init(project="cfg")
    for i in range(50):
        run.config[f"k{i}"] = i
        run.summary[f"s{i}"] = i
    run.config.last = "yes"
    run.summary.last = "yes"
    run.finish()
    record = stored_record(run)
    assert record.config["last"] == "yes" and record.config["k49"] == 49
    assert record.summary["last"] == "yes" and record.summary["s49"] == 49


def test_summary_follows_log_and_explicit_assignment_wins(archivist_env: Path) -> None:
    with session.init(project="cfg") as run:
        run.log({"loss": 3.0, "acc": 0.1})
        run.summary["acc"] = 0.95
        run.log({"loss": 1.0, "acc": 0.2})
        run.log({"nested": {"x": float("nan")}})
    summary = stored_record(run).summary
    assert summary["loss"] == 1.0
    assert summary["acc"] == 0.95
    assert summary["nested"] == {"x": None}
    assert summary["_step"] == 2 and summary["_runtime"] >= 0 and summary["_timestamp"] > 0


def test_module_config_and_summary_follow_the_current_run(archivist_env: Path) -> None:
    with pytest.raises(UsageError, match=r"init\(\) before archivist\.config\.lr"):
        _ = session.current_config().lr
    with pytest.raises(UsageError, match=r"archivist\.summary"):
        session.current_summary()["x"] = 1
    run = session.init(project="cfg", config={"lr": 1})
    assert session.current_config() is run.config
    assert session.current_config().lr == 1
    session.current_summary().update({"done": True})
    run.finish()
    assert stored_record(run).summary["done"] is True
    assert "init()" in repr(session.current_config())
