"""``Run``: one execution of a user's script, as ``archivist.init()`` returns it.

The run holds its config, summary, metric history and saved files, and writes
them to the backend in the background (coalesced) and completely at
``finish()``. Artifact methods delegate to ``archivist.sdk.run_artifacts``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from archivist.core.errors import UsageError
from archivist.core.models import RunRecord, RunRef, RunState, RunUpdate
from archivist.core.names import validate_run_tags
from archivist.sdk import run_artifacts, run_plots, run_tables
from archivist.sdk.debounce import Debouncer
from archivist.sdk.history import History
from archivist.sdk.metric_definitions import CONFIG_KEY, MetricDefinition, MetricDefinitions
from archivist.sdk.run_config import Config, Summary
from archivist.sdk.run_files import RunFiles
from archivist.sdk.run_identity import RunIdentity
from archivist.sdk.termlog import termwarn

if TYPE_CHECKING:
    from archivist.sdk.context import Context

RECORD_WRITE_SECONDS = 1.0
"""Config and summary changes reach the store at most this often (and at finish)."""


class Run(RunIdentity):
    """A live run. ``with archivist.init(...) as run:`` finishes it on exit; an
    exception inside the block marks it failed and is re-raised."""

    def __init__(self, ctx: Context, record: RunRecord, dir: str, start_time: float | None = None) -> None:
        self._ctx = ctx
        self._ref: RunRef = record.ref
        self._name = record.name
        self._notes = record.notes
        self._tags = tuple(record.tags)
        self.job_type = record.job_type
        self.group = record.group
        self.dir = dir
        self.start_time = time.time() if start_time is None else start_time
        self._state = RunState.RUNNING
        self._finish_lock = threading.Lock()
        self._finished = False
        self._record_writer = Debouncer(self._write_config_and_summary, RECORD_WRITE_SECONDS, "run config")
        config = dict(record.config)
        internal = config.pop(CONFIG_KEY, None)
        self._internal_config: dict[str, Any] = dict(internal) if isinstance(internal, Mapping) else {}
        self._metrics = MetricDefinitions(self._internal_config, record.summary)
        self._config = Config(config, self._record_writer.touch)
        self._summary = Summary(record.summary, self._record_writer.touch)
        step = record.summary.get("_step")
        start_step = step + 1 if isinstance(step, int) else 0  # a resumed run continues its history
        self._history = History(self._append_history, self.start_time, start_step)
        self._files = RunFiles(ctx.backend, ctx.transfer, record.ref)

    # --- identity -------------------------------------------------------------------------
    @property
    def path(self) -> str:
        """``entity/project/run_id``."""
        return self._ref.path

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._update_record(RunUpdate(name=str(value)))
        self._name = str(value)

    @property
    def notes(self) -> str | None:
        return self._notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._update_record(RunUpdate(notes=value))
        self._notes = value

    @property
    def tags(self) -> tuple[str, ...]:
        return self._tags

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        tags = validate_run_tags(value)
        self._update_record(RunUpdate(tags=tags))
        self._tags = tags

    @property
    def config(self) -> Config:
        return self._config

    @property
    def summary(self) -> Summary:
        return self._summary

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def finished(self) -> bool:
        """``finish()`` has begun: the run takes no more data."""
        return self._finished

    @property
    def step(self) -> int:
        """The step the next committed history row gets."""
        return self._history.step

    def __repr__(self) -> str:
        return f"<Run {self.path} ({self._state.value})>"

    # --- metrics and files ----------------------------------------------------------------
    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Add a row of metrics to the history; see ``archivist.sdk.history`` for step rules."""
        self._require_active("log")
        data = run_tables.log_values(self, run_plots.log_charts(self, data))
        if isinstance(data, Mapping):
            data = self._metrics.sync_steps(data)
        values = self._history.log(data, step, commit)
        self._summary.update_from_history(self._metrics.summary_values(values))

    def define_metric(
        self,
        name: str,
        step_metric: str | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> MetricDefinition:
        """Say how a metric is summarised (``summary="min,max,mean,last,first,best,none"``,
        ``goal`` for ``best``) and which metric is its x axis (``step_metric``); see
        ``archivist.sdk.metric_definitions``. Recorded with the run's config, as in W&B."""
        self._require_active("define_metric")
        definition = self._metrics.define(name, step_metric, step_sync, hidden, summary, goal, overwrite)
        self._definitions_changed()
        return definition

    def _definitions_changed(self) -> None:
        self._record_writer.touch()

    def save(self, glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
        """Store the files matching ``glob_str`` with the run; returns their paths in the run."""
        self._require_active("save")
        return self._files.save(glob_str, base_path, policy)

    # --- artifacts (archivist.sdk.run_artifacts does the work) -------------------------------
    def log_artifact(
        self,
        artifact_or_path: Any,
        name: str | None = None,
        type: str | None = None,
        aliases: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> Any:
        self._require_active("log_artifact")
        return run_artifacts.log_artifact(
            self, artifact_or_path, name=name, type=type, aliases=aliases, tags=tags
        )

    def use_artifact(
        self,
        artifact_or_name: Any,
        type: str | None = None,
        aliases: Sequence[str] | None = None,
        use_as: str | None = None,
    ) -> Any:
        self._require_active("use_artifact")
        return run_artifacts.use_artifact(self, artifact_or_name, type=type, aliases=aliases, use_as=use_as)

    def link_artifact(
        self,
        artifact: Any,
        target_path: str,
        aliases: Sequence[str] | None = None,
        *,
        override_reason: str | None = None,
    ) -> Any:
        """Link ``artifact`` (logged first if a draft) into a registry collection
        (``[org/]wandb-registry-<registry>/<collection>``; ``model-registry/<name>`` or a bare
        name lands in the ``model`` registry with a notice). ``override_reason``: a registry
        admin's reason to give a protected alias to a version failing its promotion rule."""
        self._require_active("link_artifact")
        return run_artifacts.link_artifact(self, artifact, target_path, aliases, override_reason)

    def link_model(
        self,
        path: str,
        registered_model_name: str,
        name: str | None = None,
        aliases: Sequence[str] | None = None,
    ) -> Any:
        """Log ``path`` as a model and link it to ``wandb-registry-model/<registered_model_name>``
        (where W&B's ``<entity>/model-registry/<registered_model_name>`` lands)."""
        self._require_active("link_model")
        return run_artifacts.link_model(self, path, registered_model_name, name=name, aliases=aliases)

    def log_model(self, path: str, name: str | None = None, aliases: Sequence[str] | None = None) -> None:
        self._require_active("log_model")
        return run_artifacts.log_model(self, path, name=name, aliases=aliases)

    def use_model(self, name: str) -> str:
        self._require_active("use_model")
        return run_artifacts.use_model(self, name)

    def logged_artifacts(self) -> list[Any]:
        return run_artifacts.logged_artifacts(self._ctx, self._ref)

    def used_artifacts(self) -> list[Any]:
        return run_artifacts.used_artifacts(self._ctx, self._ref)

    # --- finishing ------------------------------------------------------------------------
    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """Wait for pending artifacts, write everything buffered and set the final state:
        ``finished``, or ``failed`` for a non-zero ``exit_code`` or a failed artifact
        (whose error is then raised). Calling it again does nothing."""
        with self._finish_lock:
            if self._finished:
                return
            self._finished = True
        state = RunState.FAILED if exit_code else RunState.FINISHED
        try:
            run_artifacts.wait_pending(self)
        except BaseException:
            self._close(RunState.FAILED)
            raise
        self._close(state)

    def _kill(self) -> list[Any]:
        """Stop the run on the user's interrupt: cancel its pending artifacts (those whose
        commit had begun still commit, and are returned) and mark it ``killed``."""
        with self._finish_lock:
            if self._finished:
                return []
            self._finished = True
        try:
            committed = run_artifacts.cancel_pending(self)
        finally:
            self._close(RunState.KILLED)
        return committed

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc_type is None:
            self.finish()
            return False
        try:
            self.finish(exit_code=1)
        except Exception as finish_error:  # the user's exception matters more; report ours
            termwarn(f"run {self.path} did not finish cleanly: {finish_error}")
        return False

    def _close(self, state: RunState) -> None:
        """Write files, history, config and summary, then the final state. A write that
        fails marks the run failed and its error is raised after the state is set."""
        first_error: Exception | None = None
        for write in (self._files.save_changed, self._history.close, self._record_writer.close):
            try:
                write()
            except Exception as exc:
                first_error = first_error or exc
                state = RunState.FAILED
        self._ctx.backend.update_run(self._ref, RunUpdate(state=state))
        self._state = state
        if first_error is not None:
            raise first_error

    # --- plumbing -------------------------------------------------------------------------
    def _require_active(self, method: str) -> None:
        if self._finished:
            raise UsageError(f"run {self.path} is finished; call init() to start a new run before {method}()")

    def last_history_step(self) -> int | None:
        """The last committed history step (an artifact's ``history_step``), None before any."""
        return self._history.last_step

    def _update_record(self, update: RunUpdate) -> None:
        self._ctx.backend.update_run(self._ref, update)

    def _append_history(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._ctx.backend.append_history(self._ref, rows)

    def _write_config_and_summary(self) -> None:
        config = self._config.as_dict()
        written = config.get(CONFIG_KEY)  # what the script itself put under "_wandb" joins in
        internal = {**self._internal_config, **(written if isinstance(written, Mapping) else {})}
        if self._metrics:
            internal.update(self._metrics.stored())
        if internal:
            config[CONFIG_KEY] = internal
        update = RunUpdate(config=config, summary=self._summary.as_dict())
        self._ctx.backend.update_run(self._ref, update)


class DisabledRun(Run):
    """``init(mode='disabled')``: a run with the same attributes whose methods store
    nothing (W&B's disabled mode). Config, summary and ``log`` work in memory;
    artifact methods return what they were given."""

    def __init__(self, ref: RunRef, name: str, config: Mapping[str, Any], dir: str) -> None:
        self._ctx = None  # type: ignore[assignment]
        self._ref = ref
        self._name = name
        self._notes: str | None = None
        self._tags: tuple[str, ...] = ()
        self.job_type = None
        self.group = None
        self.dir = dir
        self.start_time = time.time()
        self._state = RunState.RUNNING
        self._finish_lock = threading.Lock()
        self._finished = False
        self._config = Config(config)
        self._summary = Summary()
        self._history = History(_discard_rows, self.start_time)
        self._metrics = MetricDefinitions()
        self._internal_config = {}

    def _definitions_changed(self) -> None:
        return None

    def save(self, glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
        return []

    def log_artifact(self, artifact_or_path: Any, *args: Any, **kwargs: Any) -> Any:
        return artifact_or_path

    def use_artifact(self, artifact_or_name: Any, *args: Any, **kwargs: Any) -> Any:
        return artifact_or_name

    def link_artifact(self, artifact: Any, *args: Any, **kwargs: Any) -> Any:
        return artifact

    def log_model(self, path: str, *args: Any, **kwargs: Any) -> None:
        return None

    def link_model(self, path: str, *args: Any, **kwargs: Any) -> None:
        return None

    def use_model(self, name: str) -> str:
        return name

    def logged_artifacts(self) -> list[Any]:
        return []

    def used_artifacts(self) -> list[Any]:
        return []

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        self._finished = True
        self._history.close()
        self._state = RunState.FAILED if exit_code else RunState.FINISHED

    def _update_record(self, update: RunUpdate) -> None:
        return None


def _discard_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    return None
