"""``archivist artifact put``: log a file, a directory or a reference URI as a new version.

Like ``wandb artifact put`` it starts a run (job type ``cli_put``, config
``{"path": PATH}``), logs the artifact, waits for the commit and returns the
logged version. Everything that can be checked without the store (the path, the
name, the metadata) is checked before the run starts, so a typo leaves no run.
Ctrl-C cancels the version: nothing is committed (unless the commit had already
begun) and the run is marked killed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archivist.cli.errors import Interrupted
from archivist.cli.formatting import content_summary
from archivist.core.errors import InvalidInputError, PathNotFoundError
from archivist.core.paths import ArtifactPath, parse_artifact_path

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact
    from archivist.sdk.run import Run

JOB_TYPE = "cli_put"


@dataclass(frozen=True)
class PutRequest:
    path: str
    name: str | None = None
    type: str = "dataset"
    aliases: tuple[str, ...] = ()
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    skip_cache: bool = False
    policy: str = "mutable"


def is_reference(path: str) -> bool:
    return "://" in path


def parse_metadata(text: str | None) -> dict[str, Any]:
    """The ``--metadata`` option: a JSON object, or nothing."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"--metadata {text!r} is not valid JSON ({error.msg} at column {error.colno}); "
            "pass a JSON object such as '{\"rows\": 100}'"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInputError(
            f"--metadata must be a JSON object such as '{{\"rows\": 100}}', "
            f"got {type(value).__name__}: {text}"
        )
    return value


def default_name(path: str) -> str:
    """The artifact name when ``--name`` is not given: the last segment of the path or URI."""
    if is_reference(path):
        return path.split("://", 1)[1].rstrip("/").rsplit("/", 1)[-1]
    return os.path.basename(os.path.normpath(os.path.abspath(path)))


def target_of(path: str, name: str | None) -> ArtifactPath:
    """Where the version goes: ``[entity/][project/]name`` from ``--name`` or the path."""
    if name is None:
        guessed = default_name(path)
        try:
            return parse_artifact_path(guessed)
        except InvalidInputError as error:
            raise InvalidInputError(f"{error.message}; choose a name with --name") from None
    if ":" in name:
        raise InvalidInputError(
            f"--name {name!r} must not contain ':'; versions and aliases are assigned when logging "
            "(use --alias to add one)"
        )
    return parse_artifact_path(name)


def check_path(path: str) -> None:
    if not is_reference(path) and not os.path.exists(path):
        raise PathNotFoundError(
            f"path {path!r} does not exist: give a file, a directory or a URI such as file:///data"
        )


def build_artifact(request: PutRequest, target: ArtifactPath) -> Artifact:
    """A draft holding the path's content (hashed now, uploaded when logged)."""
    import archivist

    artifact: Artifact = archivist.Artifact(
        target.name, type=request.type, description=request.description, metadata=request.metadata
    )
    if is_reference(request.path):
        artifact.add_reference(request.path)
    elif os.path.isdir(request.path):
        artifact.add_dir(request.path, skip_cache=request.skip_cache, policy=request.policy)
    else:
        artifact.add_file(request.path, skip_cache=request.skip_cache, policy=request.policy)
    return artifact


def put(request: PutRequest) -> Artifact:
    """Log the path as a version in a ``cli_put`` run and return it once committed."""
    import archivist
    from archivist.sdk.termlog import DEDUP_NOTICE, said_by_caller

    check_path(request.path)
    target = target_of(request.path, request.name)
    try:
        draft = build_artifact(request, target)
    except KeyboardInterrupt:
        raise Interrupted("nothing was logged") from None
    with (
        said_by_caller(DEDUP_NOTICE),  # put_report says it, on stdout
        archivist.init(
            entity=target.entity,
            project=target.project,
            job_type=JOB_TYPE,
            config={"path": request.path},
        ) as run,
    ):
        try:
            logged: Artifact = run.log_artifact(draft, aliases=list(request.aliases))
            logged.wait()
        except KeyboardInterrupt:
            raise Interrupted(_cancel(run)) from None
    return logged


def put_report(logged: Artifact, as_json: bool = False) -> str:
    """What ``put`` prints: the version, whether it is new, and how to use it (or JSON)."""
    full_name = f"{logged.qualified_name}"
    if as_json:
        return json.dumps(
            {
                "name": full_name,
                "version": logged.version,
                "created": not logged.deduplicated,
                "type": logged.type,
                "aliases": list(logged.aliases),
                "digest": logged.digest,
                "size": logged.size,
                "file_count": logged.file_count,
                "id": logged.id,
            }
        )
    aliases_note = f" [{', '.join(logged.aliases)}]" if logged.aliases else ""
    described = f"{logged.type} {full_name}{aliases_note}: {content_summary(logged)}, digest {logged.digest}"
    if logged.deduplicated:
        outcome = f"Identical to {logged.version}; no new version: {described}"
    else:
        outcome = f"Logged {described}"
    return f'{outcome}\nUse it in a run:\n    run.use_artifact("{full_name}")'


def _cancel(run: Run) -> str:
    """Cancel the run's version and mark the run killed; what that left, in words."""
    committed = run._kill()
    if not committed:
        return f"nothing was logged; run {run.path} is marked killed"
    names = ", ".join(f"{art.qualified_name}" for art in committed)
    return f"too late to cancel {names}: its commit had begun; run {run.path} is marked killed"
