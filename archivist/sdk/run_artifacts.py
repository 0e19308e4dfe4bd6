"""What a run does with artifacts: log outputs (in the background), use inputs
(recording the lineage edge), wait for pending logs, and list both sides."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archivist.core.errors import (
    ArtifactNotLoggedError,
    InvalidInputError,
    TypeConflictError,
)
from archivist.core.errors import NotFoundError as _NotFound
from archivist.core.models import CommitRequest, RunRef
from archivist.core.names import validate_aliases, validate_tags
from archivist.core.paths import LATEST
from archivist.core.registries import LinkOrigin, parse_link_target
from archivist.sdk import path_reads, pending_logs, registry_links
from archivist.sdk.artifact import Artifact
from archivist.sdk.context import Context
from archivist.sdk.saver import SaveControl, get_saver
from archivist.sdk.termlog import termwarn

if TYPE_CHECKING:
    from archivist.sdk.run import Run

_pending: dict[RunRef | None, list[tuple[Artifact, SaveControl]]] = {}
_pending_lock = threading.Lock()


def _artifact_from_path(run: Run | None, path: str, name: str | None, type_: str | None) -> Artifact:
    run_id = run.id if run is not None else "user"
    art_name = name or f"run-{run_id}-{os.path.basename(os.path.normpath(path))}"
    art = Artifact(art_name, type_ or "unspecified")
    if "://" in path:
        art.add_reference(path)
    elif os.path.isfile(path):
        art.add_file(path)
    elif os.path.isdir(path):
        art.add_dir(path)
    else:
        raise InvalidInputError(f"path {path!r} is neither a file, a directory nor a URI; nothing to log")
    return art


def _check_collection_type(ctx: Context, request: CommitRequest) -> None:
    try:
        existing = ctx.backend.get_collection(request.entity, request.project, request.name)
    except _NotFound:
        return
    if existing.type != request.type:
        raise TypeConflictError(
            f"artifact {request.name!r} already exists in project {request.project!r} with type "
            f"{existing.type!r}; cannot log it as type {request.type!r}"
        )


def submit_log(
    ctx: Context,
    art: Artifact,
    entity: str,
    project: str,
    run_ref: RunRef | None,
    aliases: Any = None,
    tags: Any = None,
    history_step: int | None = None,
) -> Artifact:
    """Finalize ``art`` and hand it to the background saver; returns immediately."""
    wanted_aliases = validate_aliases(aliases if aliases is not None else art.aliases)
    wanted_tags = validate_tags(tags if tags is not None else art.tags)
    art = art.draft_to_log()
    art.bind_context(ctx)
    if art.incremental:
        _build_on_latest(ctx, art, entity, project)
    request = art.commit_request(entity, project, run_ref, wanted_aliases, wanted_tags, history_step)
    _check_collection_type(ctx, request)
    contents = art.draft_contents
    control = SaveControl(request.name)
    future = get_saver().submit(
        ctx.backend,
        ctx.transfer,
        contents.manifest,
        dict(contents.local_paths),
        request,
        contents.held.take(),
        contents.take_sinks(),
        control,
    )
    art.begin_logging(future)
    pending_logs.note((request.entity, request.project, request.name), future)
    with _pending_lock:
        _pending.setdefault(run_ref, []).append((art, control))
    return art


def _build_on_latest(ctx: Context, art: Artifact, entity: str, project: str) -> None:
    """An incremental draft starts from its collection's latest version (once the logs of
    it this process is running have ended); the first version builds on nothing."""
    pending_logs.wait_for(art.name, entity, project)
    try:
        latest = ctx.backend.resolve_version(entity, project, art.name, LATEST)
    except _NotFound:
        art.build_on(None)
        return
    art.build_on(Artifact.from_record(ctx, latest))


def log_artifact(
    run: Run,
    artifact_or_path: Artifact | str,
    name: str | None = None,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
) -> Artifact:
    if isinstance(artifact_or_path, (str, os.PathLike)):
        art = _artifact_from_path(run, os.fspath(artifact_or_path), name, type)
    elif isinstance(artifact_or_path, Artifact):
        art = artifact_or_path
    else:
        raise InvalidInputError(
            f"log_artifact takes an Artifact or a path, got {artifact_or_path.__class__.__name__}"
        )
    step = getattr(run, "last_history_step", None)
    return submit_log(
        run.context,
        art,
        run.entity,
        run.project,
        run.ref,
        aliases,
        tags,
        history_step=step() if callable(step) else None,
    )


def use_artifact(
    run: Run,
    artifact_or_name: Artifact | str,
    type: str | None = None,
    aliases: Sequence[str] | None = None,
    use_as: str | None = None,
) -> Artifact:
    ctx = run.context
    if isinstance(artifact_or_name, str):
        record = path_reads.resolve_path(ctx, artifact_or_name, run.entity, run.project)
        art = Artifact.from_record(ctx, record)
    elif isinstance(artifact_or_name, Artifact):
        art = artifact_or_name
        if art.is_draft():  # construct-and-use: log without a producing run, then use
            submit_log(ctx, art, run.entity, run.project, None, aliases)
        art.wait()
    else:
        raise InvalidInputError(
            f"use_artifact takes an Artifact or a path, got {artifact_or_name.__class__.__name__}"
        )
    if type is not None and art.type != type:
        raise InvalidInputError(f"artifact {art.qualified_name} has type {art.type!r}, not {type!r}")
    ctx.backend.record_use(run.ref, art.id or "")
    return art


def wait_pending(run: Run | None) -> None:
    """Wait for every background log of the run; raise the first failure after all ended.
    Each failure nobody was told of yet (by ``wait()``) is named on stderr."""
    failures: list[Exception] = []
    for art, _control in _take_pending(run):
        already_reported = art.failure_reported
        try:
            art.wait()
        except Exception as exc:  # keep waiting for the others
            if not already_reported:
                termwarn(f"artifact {art.name!r} was not logged: {exc}")
                failures.append(exc)
    if failures:
        raise failures[0]


def cancel_pending(run: Run) -> list[Artifact]:
    """Cancel the run's background logs whose commit has not begun (they commit nothing);
    wait for the others and return those that were committed all the same."""
    too_late = [art for art, control in _take_pending(run) if not control.cancel()]
    committed = []
    for art in too_late:
        try:
            committed.append(art.wait())
        except Exception as exc:
            termwarn(f"artifact {art.name!r} was not logged: {exc}")
    return committed


def _take_pending(run: Run | None) -> list[tuple[Artifact, SaveControl]]:
    key = run.ref if run is not None else None
    with _pending_lock:
        return _pending.pop(key, [])


def logged_artifacts(ctx: Context, ref: RunRef) -> list[Artifact]:
    return [Artifact.from_record(ctx, r) for r in ctx.backend.run_outputs(ref)]


def used_artifacts(ctx: Context, ref: RunRef) -> list[Artifact]:
    return [Artifact.from_record(ctx, r) for r in ctx.backend.run_inputs(ref)]


def link_artifact(
    run: Run, artifact: Artifact, target_path: str, aliases: Any = None, override_reason: str | None = None
) -> Artifact:
    """Link ``artifact`` into a registry collection; a draft is logged by the run first."""
    _require_artifact(artifact)
    parse_link_target(target_path)  # a bad target fails before anything is logged
    if artifact.is_draft():
        artifact = log_artifact(run, artifact)
    return _link_logged(artifact, target_path, aliases, LinkOrigin(run.entity, run.project), override_reason)


def link_outside_run(
    artifact: Artifact, target_path: str, aliases: Any = None, override_reason: str | None = None
) -> Artifact:
    """``Artifact.link()`` with no active run: the version must be logged already."""
    _require_artifact(artifact)
    parse_link_target(target_path)
    if artifact.is_draft():
        raise InvalidInputError(
            f"artifact {artifact.name!r} is a draft: log it (or link it in a run) before linking it"
        )
    return _link_logged(artifact, target_path, aliases, None, override_reason)


def _require_artifact(artifact: object) -> None:
    if not isinstance(artifact, Artifact):
        raise InvalidInputError(f"link_artifact takes an Artifact, got {artifact.__class__.__name__}")


def _link_logged(
    artifact: Artifact,
    target_path: str,
    aliases: Any,
    origin: LinkOrigin | None,
    override_reason: str | None = None,
) -> Artifact:
    """Link the logged ``artifact``; a bare target is remembered in ``origin`` (the run's
    project, else the artifact's own), where W&B keeps it."""
    source = artifact.wait()
    version_id = source.id
    if version_id is None:  # wait() returns once the version is committed, with its id
        raise ArtifactNotLoggedError(f"artifact {artifact.name!r} is not logged; it cannot be linked")
    ctx = source.context
    if origin is None:
        entity, project, _, _ = registry_links.source_parts(source._logged())
        origin = LinkOrigin(entity, project)
    linked = registry_links.link(ctx, version_id, target_path, aliases, origin, override_reason)
    return Artifact.from_record(ctx, linked)


def link_model(
    run: Run,
    path: str | os.PathLike[str],
    registered_model_name: str,
    name: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Artifact:
    """W&B's ``run.link_model``: log ``path`` as a model (keeping the type of an existing
    ``name`` collection when it is a model type) and link it to the ``model`` registry's
    collection ``registered_model_name`` (where W&B's ``model-registry/<name>`` lands)."""
    target = registry_links.model_registry_target(registered_model_name)
    model_type = _existing_model_type(run, name) or "model"
    art = log_artifact(run, os.fspath(path), name=name, type=model_type)
    return link_artifact(run, art, target, aliases)


def _existing_model_type(run: Run, name: str | None) -> str | None:
    if name is None:
        return None
    try:
        existing = run.context.backend.get_collection(run.entity, run.project, name)
    except _NotFound:
        return None
    return existing.type if "model" in existing.type.lower() else None


def log_model(run: Run, path: str, name: str | None = None, aliases: Any = None) -> None:
    log_artifact(run, path, name=name, type="model", aliases=aliases)


def use_model(run: Run, name: str) -> str:
    art = use_artifact(run, name)
    if "model" not in art.type.lower():
        raise AssertionError(f"artifact {art.name!r} has type {art.type!r}, which is not a model type")
    root = art.download()
    files = [f for f in os.listdir(root)]
    if len(files) == 1 and os.path.isfile(os.path.join(root, files[0])):
        return os.path.join(root, files[0])
    return root
