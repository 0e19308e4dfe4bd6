"""``link_artifact``, ``Artifact.link`` and ``link_model`` for collections in a project,
such as W&B's legacy model registry (``<entity>/model-registry/<registered model>``).

Until registries land, a link is a version of the target collection holding the same
entries as the source version: its files are stored once (same digests), linking the
same source again returns the version made the first time (identical content) and
moves the aliases given, and ``latest`` names the most recently linked version.
Registry paths (``wandb-registry-<name>/...``) are refused with a clear message.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from archivist.core.errors import InvalidInputError, NotSupportedError
from archivist.core.errors import NotFoundError as _NotFound
from archivist.core.names import (
    LEGACY_MODEL_REGISTRY,
    REGISTRY_PROJECT_PREFIX,
    validate_collection_name,
    validate_entity,
    validate_project,
)
from archivist.sdk import run_artifacts
from archivist.sdk.artifact import Artifact
from archivist.sdk.context import Context

if TYPE_CHECKING:
    from archivist.sdk.run import Run


def parse_link_target(target_path: object, entity: str, project: str) -> tuple[str, str, str]:
    """``[[entity/]project/]collection`` -> (entity, project, collection), the missing
    parts taken from ``entity``/``project`` (the run's, as in W&B)."""
    if not isinstance(target_path, str) or not target_path or ":" in target_path:
        raise InvalidInputError(
            f"invalid link target {target_path!r}: expected '[entity/][project/]collection' without an alias"
        )
    parts = target_path.split("/")
    if len(parts) > 3 or not all(parts):
        raise InvalidInputError(
            f"invalid link target {target_path!r}: expected '[entity/][project/]collection' "
            "with at most two '/'"
        )
    target_project = validate_project(parts[-2]) if len(parts) >= 2 else project
    if target_project.startswith(REGISTRY_PROJECT_PREFIX):
        raise NotSupportedError(
            f"cannot link to {target_path!r}: registries are not supported yet; link into a "
            f"collection of a project instead, e.g. '{LEGACY_MODEL_REGISTRY}/<name>'"
        )
    target_entity = validate_entity(parts[0]) if len(parts) == 3 else entity
    return target_entity, target_project, validate_collection_name(parts[-1], target_project)


def link_artifact(
    ctx: Context,
    run: Run | None,
    artifact: Artifact,
    target_path: str,
    aliases: Sequence[str] | str | None = None,
) -> Artifact:
    """Link a logged version (a draft is logged first, in ``run``) into ``target_path``;
    returns the version of the target collection, once committed."""
    if not isinstance(artifact, Artifact):
        raise InvalidInputError(f"link_artifact takes an Artifact, got {type(artifact).__name__}")
    if artifact.is_draft():
        if run is None:
            raise InvalidInputError(
                f"artifact {artifact.name!r} is a draft: log it (or link it in a run) before linking it"
            )
        run_artifacts.log_artifact(run, artifact)
    source = artifact.wait()
    default_entity = run.entity if run is not None else source.entity
    default_project = run.project if run is not None else source.project
    entity, project, collection = parse_link_target(target_path, default_entity, default_project)
    linked = source.new_draft()
    linked.rename_collection(collection, project)
    run_ref = run.ref if run is not None else None
    run_artifacts.submit_log(ctx, linked, entity, project, run_ref, aliases=aliases or ())
    return linked.wait()


def link_model(
    run: Run,
    path: str | os.PathLike[str],
    registered_model_name: str,
    name: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Artifact:
    """W&B's ``run.link_model``: log ``path`` as a model (keeping the type of an existing
    ``name`` collection when it is a model type) and link it to
    ``<run entity>/model-registry/<registered_model_name>``."""
    if not isinstance(registered_model_name, str) or "/" in registered_model_name:
        raise InvalidInputError(
            f"registered_model_name {registered_model_name!r} must be a name without '/'; "
            f"the model is linked to '{run.entity}/{LEGACY_MODEL_REGISTRY}/<registered_model_name>'"
        )
    validate_collection_name(registered_model_name, LEGACY_MODEL_REGISTRY)
    model_type = _existing_model_type(run.context, run, name) or "model"
    art = run_artifacts.log_artifact(run, os.fspath(path), name=name, type=model_type)
    target = f"{run.entity}/{LEGACY_MODEL_REGISTRY}/{registered_model_name}"
    return link_artifact(run.context, run, art, target, aliases)


def _existing_model_type(ctx: Context, run: Run, name: str | None) -> str | None:
    if name is None:
        return None
    try:
        existing = ctx.backend.get_collection(run.entity, run.project, name)
    except _NotFound:
        return None
    return existing.type if "model" in existing.type.lower() else None
