"""Process state: ``init``, the current run and the module-level shortcuts
(``archivist.log``, ``archivist.save``, ...) that act on it.

``init`` while a run is active follows ``reinit`` as W&B does: 'default' (and
None) returns the active run in a script and finishes it to start a new one in
a notebook; 'return_previous' (or ``False``) returns the active run;
'finish_previous' (or ``True``) finishes every active run and starts a new one;
'create_new' starts another run without making it current.

``init``'s defaults come from the settings (ARCHIVIST_* or W&B's WANDB_*
variables): mode, job type, group, name, notes, tags and the run folder. In mode
'disabled' nothing is stored and no store is opened.

At interpreter exit every run still active is finished, after every artifact it
logged was committed: ``finished``, or ``failed`` when the interpreter exits
because of an uncaught exception or ``sys.exit`` with a non-zero status. A
process that is killed cannot do this; its run reads as ``crashed`` because the
backend sees that the host/pid recorded at ``init`` no longer runs.
"""

from __future__ import annotations

import atexit
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, NoReturn

from archivist.core.errors import ConflictError, InvalidInputError, RunNotFoundError, UsageError
from archivist.core.models import RunRecord, RunRef, RunSpec, RunUpdate
from archivist.core.names import validate_entity, validate_project, validate_run_id, validate_run_tags
from archivist.core.settings import Settings
from archivist.sdk import run_artifacts
from archivist.sdk.artifact import Artifact
from archivist.sdk.context import Context, get_context
from archivist.sdk.run import DisabledRun, Run
from archivist.sdk.run_config import config_mapping, filter_keys
from archivist.sdk.run_names import generate_run_name
from archivist.sdk.termlog import termwarn
from archivist.sdk.wandb_settings import Settings as WandbSettings

MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")
REINIT_POLICIES = ("default", "finish_previous", "return_previous", "create_new")
RESUME_POLICIES = ("allow", "auto", "must", "never")
_RUN_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

_lock = threading.RLock()
_current: Run | None = None
_active: list[Run] = []
_exit_hook_installed = False
_uncaught_exception = False
_exit_status: object = None
"""What the script passed to ``sys.exit`` (W&B's exit hook reads it the same way)."""


def current_run() -> Run | None:
    """The run module-level functions act on, or None before ``init``/after ``finish``."""
    with _lock:
        run = _current
    return None if run is None or run.finished else run


def init(
    project: str | None = None,
    entity: str | None = None,
    job_type: str | None = None,
    name: str | None = None,
    config: Mapping[str, Any] | Any = None,
    notes: str | None = None,
    tags: Sequence[str] | None = None,
    dir: str | os.PathLike[str] | None = None,
    id: str | None = None,
    group: str | None = None,
    resume: bool | str | None = None,
    reinit: bool | str | None = None,
    mode: str | None = None,
    settings: Settings | WandbSettings | Mapping[str, Any] | None = None,
    config_exclude_keys: Sequence[str] | None = None,
    config_include_keys: Sequence[str] | None = None,
    allow_val_change: bool | None = None,
    save_code: bool | None = None,
    **_ignored: Any,
) -> Run:
    """Start a run (W&B's ``wandb.init``); see the module docstring for ``reinit``.

    ``resume``: None/'allow'/'auto'/True continue a run with this ``id`` if it exists,
    else create it; 'must' requires it to exist; 'never' requires it not to.
    ``mode='disabled'`` stores nothing; every other mode writes to the configured
    store (the embedded store needs no network, so 'offline' behaves like 'online').
    W&B arguments without meaning here (``save_code``, ``sync_tensorboard``, ...) are ignored.
    """
    chosen = _settings(settings)
    if mode is None and chosen.mode is not None:  # from the environment: say where it came from
        mode = _check_choice("ARCHIVIST_MODE (or WANDB_MODE)", chosen.mode, MODES)
    mode = _check_choice("mode", mode or "online", MODES)
    policy = _reinit_policy(reinit)
    _unbind_run_globals()
    previous = current_run()
    if previous is not None and policy == "return_previous":
        return previous
    if policy == "finish_previous":
        _finish_active()
    job_type = job_type if job_type is not None else chosen.job_type
    group = group if group is not None else chosen.run_group
    name = name if name is not None else chosen.run_name
    notes = notes if notes is not None else chosen.run_notes
    tags = tags if tags is not None else chosen.run_tags
    run_id = validate_run_id(id) if id is not None else new_run_id()
    values = filter_keys(config_mapping(config), config_include_keys, config_exclude_keys)
    tag_names = validate_run_tags(tags)
    if mode == "disabled":
        run: Run = DisabledRun(
            RunRef("disabled", project or "disabled", run_id), name or run_id, values, tempfile.gettempdir()
        )
    else:
        ctx = get_context(chosen.evolve(mode=None) if chosen.mode == "disabled" else chosen)
        ref = RunRef(
            validate_entity(entity) if entity else ctx.entity,
            validate_project(project) if project else ctx.project,
            run_id,
        )
        existing = _existing_run(ctx, ref, resume, explicit_id=id is not None)
        spec = RunSpec(
            ref=ref,
            name=str(name) if name else generate_run_name(),
            job_type=_text(job_type),
            group=_text(group),
            notes=_text(notes),
            tags=tag_names,
            config=values,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        record = ctx.backend.upsert_run(spec)
        if existing is not None:
            record = _apply_to_resumed(ctx, record, name=name, notes=notes, tags=tags)
        run = Run(ctx, record, dir=_run_dir(dir, ctx, run_id))
        if existing is not None and values:
            run.config.update(values, allow_val_change=allow_val_change is not False)
    with _lock:
        _active.append(run)
        if policy != "create_new" or current_run() is None:
            _set_current(run)
    _install_exit_hook()
    return run


def new_run_id() -> str:
    """Eight random characters from [a-z0-9], like W&B's run ids."""
    return "".join(secrets.choice(_RUN_ID_ALPHABET) for _ in range(8))


def teardown(exit_code: int | None = None) -> None:
    """Finish every active run of this process (tests, notebooks, ``archivist.teardown``)."""
    _finish_active(exit_code)
    with _lock:
        _set_current(None)


# --- module-level shortcuts -----------------------------------------------------------------
def log(data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    _require_run("log").log(data, step=step, commit=commit)


def save(glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
    return _require_run("save").save(glob_str, base_path=base_path, policy=policy)


def define_metric(name: str, *args: Any, **kwargs: Any) -> Any:
    """``run.define_metric`` on the current run."""
    return _require_run("define_metric").define_metric(name, *args, **kwargs)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run; without one this does nothing (as in W&B)."""
    run = current_run()
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


def log_artifact(
    artifact_or_path: Any,
    name: str | None = None,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
) -> Any:
    return _require_run("log_artifact").log_artifact(
        artifact_or_path, name=name, type=type, aliases=aliases, tags=tags
    )


def use_artifact(
    artifact_or_name: Any,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
    use_as: str | None = None,
) -> Any:
    return _require_run("use_artifact").use_artifact(
        artifact_or_name, type=type, aliases=aliases, use_as=use_as
    )


def save_draft(art: Artifact, project: str | None) -> None:
    """``Artifact.save()`` on a draft: log in the active run, else in a new 'auto' run."""
    run = current_run()
    if run is not None:
        run.log_artifact(art)  # a disabled run logs nowhere
        return
    with init(project=project, job_type="auto") as auto_run:
        auto_run.log_artifact(art)
        if not isinstance(auto_run, DisabledRun):
            art.wait()


def link_artifact(
    artifact: Any,
    target_path: str,
    aliases: Sequence[str] | None = None,
    *,
    override_reason: str | None = None,
) -> Any:
    return _require_run("link_artifact").link_artifact(
        artifact, target_path, aliases=aliases, override_reason=override_reason
    )


def link_existing(
    art: Artifact, target_path: str, aliases: Sequence[str] | None, override_reason: str | None = None
) -> Artifact:
    """``Artifact.link()``: in the active run if there is one (a draft is logged in it)."""
    run = current_run()
    if run is not None and not isinstance(run, DisabledRun):
        return run_artifacts.link_artifact(run, art, target_path, aliases, override_reason)
    return run_artifacts.link_outside_run(art, target_path, aliases, override_reason)


def log_model(path: str, name: str | None = None, aliases: Sequence[str] | None = None) -> None:
    return _require_run("log_model").log_model(path, name=name, aliases=aliases)


def use_model(name: str) -> str:
    return _require_run("use_model").use_model(name)


def link_model(
    path: str, registered_model_name: str, name: str | None = None, aliases: Sequence[str] | None = None
) -> Any:
    return _require_run("link_model").link_model(path, registered_model_name, name=name, aliases=aliases)


def _unbind_run_globals() -> None:
    """Forget a value a script assigned to ``archivist.config``/``summary``/``run`` (W&B's
    notebooks do ``wandb.config = Config``): as W&B's ``init`` rebinds them to the new run,
    they are the current run's again (read through the package's ``__getattr__``)."""
    package = sys.modules.get("archivist")
    if package is not None:
        for name in ("config", "summary", "run"):
            package.__dict__.pop(name, None)


def current_config() -> Any:
    """``archivist.config``: the current run's config, or a placeholder that explains
    that ``init()`` comes first."""
    run = current_run()
    return run.config if run is not None else NoRunYet("config")


def current_summary() -> Any:
    run = current_run()
    return run.summary if run is not None else NoRunYet("summary")


class NoRunYet:
    """``archivist.config`` / ``archivist.summary`` before ``init()``: any use raises UsageError."""

    def __init__(self, attribute: str) -> None:
        object.__setattr__(self, "_attribute", attribute)

    def _refuse(self, use: str) -> UsageError:
        return UsageError(f"You must call archivist.init() before archivist.{self._attribute}{use}")

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        raise self._refuse(f".{key}")

    def __setattr__(self, key: str, value: Any) -> None:
        raise self._refuse(f".{key}")

    def __getitem__(self, key: str) -> Any:
        raise self._refuse(f"[{key!r}]")

    def __setitem__(self, key: str, value: Any) -> None:
        raise self._refuse(f"[{key!r}]")

    def __repr__(self) -> str:
        return f"<archivist.{self._attribute}: no run; call archivist.init() first>"


# --- internals --------------------------------------------------------------------------------
def _require_run(function: str) -> Run:
    run = current_run()
    if run is None:
        raise UsageError(f"You must call archivist.init() before archivist.{function}()")
    return run


def _set_current(run: Run | None) -> None:
    global _current
    _current = run


def _active_runs() -> list[Run]:
    with _lock:
        _active[:] = [run for run in _active if not run.finished]
        return list(_active)


def _finish_active(exit_code: int | None = None) -> None:
    """Finish every active run; the first error is raised once all were tried."""
    first_error: Exception | None = None
    for run in _active_runs():
        try:
            run.finish(exit_code=exit_code)
        except Exception as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


def _check_choice(what: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInputError(f"invalid {what} {value!r}: use one of {', '.join(allowed)}")
    return value


def _reinit_policy(reinit: bool | str | None) -> str:
    """W&B's choices; 'default' finishes the previous run in a notebook only."""
    if reinit is True:
        return "finish_previous"
    if reinit is False:
        return "return_previous"
    policy = _check_choice("reinit", "default" if reinit is None else reinit, REINIT_POLICIES)
    if policy == "default":
        return "finish_previous" if _in_notebook() else "return_previous"
    return policy


def _in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (W&B's test: an IPython ZMQ shell)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _existing_run(
    ctx: Context, ref: RunRef, resume: bool | str | None, explicit_id: bool
) -> RunRecord | None:
    """The run to resume, if any, enforcing ``resume='must'|'never'``."""
    policy = "allow" if resume is None or resume is True else resume
    if policy is False:
        policy = "allow"
    policy = _check_choice("resume", policy, RESUME_POLICIES)
    if not explicit_id:
        if policy == "must":
            raise InvalidInputError(
                "resume='must' needs the id of the run to resume: init(id=..., resume='must')"
            )
        return None
    try:
        existing = ctx.backend.get_run(ref)
    except RunNotFoundError:
        if policy == "must":
            raise RunNotFoundError(f"resume='must' but run {ref.path!r} does not exist") from None
        return None
    if policy == "never":
        raise ConflictError(f"resume='never' but run {ref.path!r} already exists; pick another id")
    return existing


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _apply_to_resumed(
    ctx: Context, record: RunRecord, name: object, notes: object, tags: Sequence[str] | None
) -> RunRecord:
    """A resumed run keeps what it had, except the name, notes and tags passed to ``init``
    (its job type and group stay as they were)."""
    changes: dict[str, Any] = {}
    if name:
        changes["name"] = str(name)
    if notes is not None:
        changes["notes"] = str(notes)
    if tags is not None:
        changes["tags"] = validate_run_tags(tags)
    return ctx.backend.update_run(record.ref, RunUpdate(**changes)) if changes else record


def _settings(settings: Settings | WandbSettings | Mapping[str, Any] | None) -> Settings:
    if settings is None or isinstance(settings, Settings):
        return settings or Settings.from_env()
    if isinstance(settings, Mapping):
        settings = WandbSettings(**settings)
    if isinstance(settings, WandbSettings):
        return settings.applied_to(Settings.from_env())
    raise InvalidInputError(
        f"settings must be an archivist.Settings or a dict, got {type(settings).__name__}: {settings!r}"
    )


def _run_dir(dir: str | os.PathLike[str] | None, ctx: Context, run_id: str) -> str:
    """``<dir or ARCHIVIST_RUN_DIR or ARCHIVIST_DIR/runs>/run-<time>-<id>/files`` (W&B's
    layout), created."""
    if dir is not None:
        base = os.path.abspath(os.fspath(dir))
    else:
        base = ctx.settings.run_dir or os.path.join(ctx.settings.home, "runs")
    stamp = time.strftime("%Y%m%d_%H%M%S")
    path = os.path.join(base, f"run-{stamp}-{run_id}", "files")
    os.makedirs(path, exist_ok=True)
    return path


# --- interpreter exit ---------------------------------------------------------------------------
def _install_exit_hook() -> None:
    """Finish active runs at exit. Re-registered on each ``init`` so that it runs
    before exit hooks registered earlier (atexit runs last-registered first)."""
    global _exit_hook_installed
    atexit.unregister(_finish_at_exit)
    atexit.register(_finish_at_exit)
    if not _exit_hook_installed:
        _exit_hook_installed = True
        previous = sys.excepthook

        def note_uncaught(
            exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
        ) -> None:
            global _uncaught_exception
            _uncaught_exception = True
            previous(exc_type, exc, tb)

        sys.excepthook = note_uncaught
        previous_exit = sys.exit

        def note_exit(status: str | int | None = None) -> NoReturn:
            global _exit_status
            _exit_status = status
            previous_exit(status)

        sys.exit = note_exit


def _exit_code() -> int:
    """The process's exit code as far as Python decides it (0: success)."""
    if _uncaught_exception:
        return 1
    if _exit_status is None or isinstance(_exit_status, int):
        return _exit_status or 0
    return 1  # sys.exit("message") prints it and exits 1


def _finish_at_exit() -> None:
    exit_code = _exit_code() or None
    for run in _active_runs():
        try:
            run.finish(exit_code=exit_code)
        except Exception as exc:
            termwarn(f"run {run.path} is marked failed: {exc}")
