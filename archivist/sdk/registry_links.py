"""Linking logged versions into registry collections (``core.registries``), and what a
link knows of its source."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from archivist.core.errors import InvalidInputError
from archivist.core.ids import VersionId
from archivist.core.models import VersionRecord
from archivist.core.names import validate_aliases
from archivist.core.paths import is_legacy_path
from archivist.core.registries import (
    LEGACY_REGISTRY,
    LinkOrigin,
    parse_link_target,
    registry_project,
    validate_registry_collection,
)
from archivist.sdk.termlog import termwarn

if TYPE_CHECKING:
    from archivist.sdk.context import Context


def link(
    ctx: Context,
    version_id: VersionId,
    target_path: str,
    aliases: Sequence[str] | None,
    origin: LinkOrigin,
    override_reason: str | None = None,
) -> VersionRecord:
    """Link the logged version ``version_id`` to ``target_path``; a legacy model-registry
    target lands in the ``model`` registry with a notice, and a bare one is readable from
    ``origin`` (the project W&B would have put it in)."""
    target = parse_link_target(target_path)
    wanted = validate_aliases(list(aliases or ()))
    if target.legacy:
        termwarn(
            f"{target_path!r} names W&B's old model registry; linking into the {LEGACY_REGISTRY!r} "
            f"registry as '{registry_project(LEGACY_REGISTRY)}/{target.collection}'"
        )
    return ctx.backend.link_version(
        version_id,
        target.registry,
        target.collection,
        wanted,
        origin if target.bare else None,
        override_reason,
    )


def model_registry_target(registered_model_name: object) -> str:
    """The link target of ``link_model``: the ``model`` registry's collection of that name
    (W&B links to ``<entity>/model-registry/<name>``, which lands there)."""
    if not isinstance(registered_model_name, str) or "/" in registered_model_name:
        raise InvalidInputError(
            f"registered_model_name {registered_model_name!r} must be a name without '/'; "
            f"the model is linked to '{registry_project(LEGACY_REGISTRY)}/<registered_model_name>'"
        )
    return f"{registry_project(LEGACY_REGISTRY)}/{validate_registry_collection(registered_model_name)}"


def note_legacy_path(path: str) -> None:
    """Say that a path of W&B's old model registry is read from the ``model`` registry."""
    if is_legacy_path(path):
        termwarn(
            f"{path!r} names W&B's old model registry; reading it from the {LEGACY_REGISTRY!r} registry "
            f"('{registry_project(LEGACY_REGISTRY)}/...')"
        )


def note_legacy_read(path: str, entity: str, project: str, record: VersionRecord) -> None:
    """Say that ``path``, read in ``entity/project``, found a link a bare target made from
    there, in the ``model`` registry (W&B keeps such links in the project)."""
    if record.project == registry_project(LEGACY_REGISTRY) and record.entity != entity:
        termwarn(
            f"{path!r} is not in {entity}/{project}; reading the link a bare link target (W&B's old "
            f"model registry) made from there: '{registry_project(LEGACY_REGISTRY)}/{record.collection}'"
        )


def require_link(record: VersionRecord, action: str) -> None:
    if record.source is None:
        raise InvalidInputError(
            f"cannot {action} '{record.qualified_collection}:{record.version}': it is not a linked "
            "artifact (is_link is False); a link is a version of a 'wandb-registry-...' collection"
        )


def source_name(record: VersionRecord) -> str:
    source = record.source
    if source is None:
        return f"{record.collection}:{record.version}"
    return f"{source.collection}:v{source.version_index}"


def source_parts(record: VersionRecord) -> tuple[str, str, str, int]:
    """(entity, project, collection, version index) of the version a record stands for."""
    source = record.source
    if source is None:
        return record.entity, record.project, record.collection, record.version_index
    return source.entity, source.project, source.collection, source.version_index


def linked_records(ctx: Context, record: VersionRecord) -> list[VersionRecord]:
    """The links of a source version; a link has none (W&B: an empty list)."""
    return [] if record.source is not None else ctx.backend.list_links(record.id)


def source_record(ctx: Context, record: VersionRecord) -> VersionRecord:
    return record if record.source is None else ctx.backend.get_version(record.source.id)
