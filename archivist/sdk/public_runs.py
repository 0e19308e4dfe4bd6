"""Runs as the query API sees them: ``archivist.Api().run(path)`` and
``Api().runs(path)`` (W&B's ``wandb.apis.public.Run``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from archivist.core.errors import ArtifactNotLoggedError, EntryNotFoundError, InvalidInputError
from archivist.core.json_values import json_friendly
from archivist.core.manifest_entry import Entry
from archivist.core.models import RunFile, RunRecord, RunRef, RunUpdate, VersionUpdate
from archivist.core.names import (
    validate_aliases,
    validate_entity,
    validate_project,
    validate_run_id,
    validate_run_tags,
    validate_tags,
)
from archivist.core.paths import parse_project_path
from archivist.sdk import run_artifacts
from archivist.sdk.public_files import File
from archivist.sdk.run_identity import RunIdentity
from archivist.wire.ui_paths import absolute, run_url, with_query

if TYPE_CHECKING:
    from archivist.sdk.context import Context

HISTORY_STREAMS = ("default", "system", "events")


class PublicSummary(dict):  # type: ignore[type-arg]
    """A stored run's summary: a plain dict whose ``update()`` also saves it
    (``run.summary["best"] = 0.9; run.summary.update()`` works as in W&B)."""

    def __init__(self, data: Mapping[str, Any], save: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(data)
        self._save = save

    def update(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        super().update(json_friendly({**dict(values or {}), **kwargs}, "summary"))
        self._save(json_friendly(dict(self), "summary"))


class PublicRun(RunIdentity):
    def __init__(self, ctx: Context, record: RunRecord) -> None:
        self._ctx = ctx
        self._ref: RunRef = record.ref
        self._load(record)

    def _load(self, record: RunRecord) -> None:
        self._record = record
        self.name: str = record.name
        self.notes: str | None = record.notes
        self.tags: list[str] = list(record.tags)
        self.config: dict[str, Any] = dict(record.config)
        self.summary = PublicSummary(record.summary, self._save_summary)

    # --- identity and state ---------------------------------------------------------------
    @property
    def path(self) -> list[str]:
        """``[entity, project, run_id]``, as in W&B."""
        return [self._ref.entity, self._ref.project, self._ref.run_id]

    @property
    def state(self) -> str:
        """'running', 'finished', 'failed', 'crashed' or 'killed' (when it was last loaded)."""
        return self._record.state.value

    @property
    def display_name(self) -> str:
        """W&B's name for ``name`` (saved by ``update()``)."""
        return self.name

    @display_name.setter
    def display_name(self, value: str) -> None:
        self.name = value

    @property
    def summary_metrics(self) -> dict[str, Any]:
        """The summary as a plain dict (W&B's ``summary_metrics``)."""
        return dict(self.summary)

    @property
    def job_type(self) -> str | None:
        return self._record.job_type

    @property
    def group(self) -> str | None:
        return self._record.group

    @property
    def created_at(self) -> str:
        return self._record.created_at

    @property
    def updated_at(self) -> str:
        return self._record.updated_at

    def __repr__(self) -> str:
        return f"<Run {self._ref.path} ({self.state})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicRun) and other.ref == self._ref

    def __hash__(self) -> int:
        return hash(self._ref)

    def load(self, force: bool = True) -> PublicRun:
        """Read the run again from the store."""
        self._load(self._ctx.backend.get_run(self._ref))
        return self

    def update(self) -> None:
        """Save local edits of name, notes, tags, config and summary."""
        update = RunUpdate(
            name=self.name,
            notes=self.notes,
            tags=validate_run_tags(self.tags),
            config=json_friendly(dict(self.config), "config"),
            summary=json_friendly(dict(self.summary), "summary"),
        )
        self._load(self._ctx.backend.update_run(self._ref, update))

    def _save_summary(self, summary: dict[str, Any]) -> None:
        self._record = self._ctx.backend.update_run(self._ref, RunUpdate(summary=summary))

    # --- history --------------------------------------------------------------------------
    def scan_history(
        self,
        keys: Iterable[str] | None = None,
        page_size: int = 1000,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every history row in step order (``min_step <= _step < max_step``), read a
        page at a time. With ``keys``: only rows holding all of them, reduced to
        those keys and ``_step``."""
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise InvalidInputError(f"page_size must be a positive integer, got {page_size!r}")
        wanted = _key_list(keys)
        cursor = min_step or 0
        while True:
            rows = self._ctx.backend.read_history(
                self._ref, min_step=cursor, max_step=max_step, limit=page_size
            )
            for row in rows:
                if wanted is None:
                    yield row
                elif all(key in row for key in wanted):
                    yield {**{key: row[key] for key in wanted}, "_step": row["_step"]}
            if len(rows) < page_size:
                return
            cursor = rows[-1]["_step"] + 1

    def history(
        self,
        samples: int = 500,
        keys: Iterable[str] | None = None,
        x_axis: str = "_step",
        pandas: bool = True,
        stream: str = "default",
    ) -> Any:
        """At most ``samples`` rows spread evenly over the history (first and last
        included). A pandas DataFrame when ``pandas`` is true and pandas is installed,
        else a list of dicts. There is no system-metrics stream: 'system' is empty."""
        if stream not in HISTORY_STREAMS:
            raise InvalidInputError(f"invalid stream {stream!r}: use one of {', '.join(HISTORY_STREAMS)}")
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise InvalidInputError(f"samples must be a positive integer, got {samples!r}")
        wanted = _key_list(keys)
        if wanted is not None and x_axis not in wanted:
            wanted.append(x_axis)
        rows = [] if stream != "default" else list(self.scan_history(keys=wanted))
        rows = _spread(rows, samples)
        if pandas:
            try:
                import pandas as pd
            except ImportError:
                return rows
            return pd.DataFrame(rows)
        return rows

    # --- files and lineage ----------------------------------------------------------------
    def files(self, names: Iterable[str] | None = None, per_page: int = 50) -> list[File]:
        """The files stored with ``run.save`` (those named in ``names``, in that order,
        when given), as W&B's ``File`` objects."""
        stored = self._ctx.backend.list_run_files(self._ref)
        if names is None:
            return [self._file(f) for f in stored]
        by_path = {f.path: f for f in stored}
        return [self._file(by_path[name]) for name in _key_list(names) or () if name in by_path]

    def file(self, name: str) -> File:
        """One stored file; otherwise ``EntryNotFoundError`` (a ``KeyError``) naming the files
        the run has."""
        stored = self._ctx.backend.list_run_files(self._ref)
        for found in stored:
            if found.path == name:
                return self._file(found)
        held = ", ".join(repr(f.path) for f in stored[:20]) or "none"
        raise EntryNotFoundError(f"run {self._ref.path} has no file {name!r}; its files: {held}")

    def _file(self, stored: RunFile) -> File:
        url = absolute(self._ctx.settings.base_url, run_url(self._ref, "files/raw"))
        return File(stored.path, stored.size, stored.digest, with_query(url, path=stored.path), self._fetch)

    def _fetch(self, digest: str, path: str) -> None:
        from archivist.sdk.materialize import fetch_replacing

        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fetch_replacing(self._ctx, Entry(path=os.path.basename(path), digest=digest), path, False)

    def delete(self, delete_artifacts: bool = False) -> None:
        """Delete the run with its history and files. The versions it logged stay (with no
        producer) unless ``delete_artifacts``, which deletes them and their aliases first."""
        if delete_artifacts:
            for record in self._ctx.backend.run_outputs(self._ref):
                self._ctx.backend.delete_version(record.id, delete_aliases=True)
        self._ctx.backend.delete_run(self._ref)

    def log_artifact(
        self, artifact: Any, aliases: Iterable[str] | None = None, tags: Iterable[str] | None = None
    ) -> Any:
        """Declare an already logged version of this run's project as an output of this run
        (W&B's public ``Run.log_artifact``), adding ``aliases`` and ``tags`` to it."""
        version_id = getattr(artifact, "id", None)
        if not version_id:
            raise ArtifactNotLoggedError(
                f"log_artifact on a stored run needs a logged artifact; {artifact!r} is not logged yet"
            )
        self._ctx.backend.record_output(self._ref, version_id)
        if aliases or tags:
            record = self._ctx.backend.get_version(version_id)
            update = VersionUpdate(
                aliases=list(dict.fromkeys([*record.aliases, *validate_aliases(list(aliases or ()))])),
                tags=list(dict.fromkeys([*record.tags, *validate_tags(list(tags or ()))])),
            )
            self._ctx.backend.update_version(version_id, update)
        if hasattr(artifact, "_set_record"):  # an Artifact: show the new producer, aliases, tags
            artifact._set_record(self._ctx.backend.get_version(version_id))
        return artifact

    def logged_artifacts(self, per_page: int = 100) -> list[Any]:
        return run_artifacts.logged_artifacts(self._ctx, self._ref)

    def used_artifacts(self, per_page: int = 100) -> list[Any]:
        return run_artifacts.used_artifacts(self._ctx, self._ref)

    def use_artifact(self, artifact: Any, use_as: str | None = None) -> Any:
        """Record that this (possibly finished) run used an already logged artifact."""
        version_id = getattr(artifact, "id", None)
        if not version_id:
            raise ArtifactNotLoggedError(
                f"use_artifact on a stored run needs a logged artifact; {artifact!r} is not logged yet"
            )
        self._ctx.backend.record_use(self._ref, version_id)
        return artifact


def parse_run_path(path: object, default_entity: str) -> RunRef:
    """``entity/project/run_id``, ``entity/project/runs/run_id`` or ``project/run_id``."""
    if not isinstance(path, str) or not path:
        raise InvalidInputError(f"invalid run path {path!r}: expected '[entity/]project/run_id'")
    parts = path.split("/")
    if len(parts) == 4 and parts[2] == "runs":
        parts = [parts[0], parts[1], parts[3]]
    if len(parts) == 2:
        parts = [default_entity, *parts]
    if len(parts) != 3 or not all(parts):
        raise InvalidInputError(f"invalid run path {path!r}: expected '[entity/]project/run_id'")
    return RunRef(validate_entity(parts[0]), validate_project(parts[1]), validate_run_id(parts[2]))


def get_public_run(ctx: Context, path: str) -> PublicRun:
    """The run at ``path``; ``RunNotFoundError`` if there is none."""
    ref = parse_run_path(path, ctx.entity)
    return PublicRun(ctx, ctx.backend.get_run(ref))


def list_public_runs(ctx: Context, path: str) -> list[PublicRun]:
    """Every run of the project ``[entity/]project``, newest first."""
    entity, project = parse_project_path(path)
    return [PublicRun(ctx, record) for record in ctx.backend.list_runs(entity or ctx.entity, project)]


def _key_list(keys: Iterable[str] | None) -> list[str] | None:
    if keys is None:
        return None
    wanted = [keys] if isinstance(keys, str) else list(keys)
    if not all(isinstance(k, str) for k in wanted):
        raise InvalidInputError(f"keys must be metric names (strings), got {keys!r}")
    return wanted


def _spread(rows: list[dict[str, Any]], samples: int) -> list[dict[str, Any]]:
    """``samples`` rows evenly spaced over ``rows``, keeping the first and the last."""
    if len(rows) <= samples:
        return rows
    if samples == 1:
        return [rows[-1]]
    stride = (len(rows) - 1) / (samples - 1)
    return [rows[round(i * stride)] for i in range(samples)]
