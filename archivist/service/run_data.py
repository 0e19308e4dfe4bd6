"""What a run records besides its own row: metric history rows and attached files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from archivist.core.digest_checks import validate_digest
from archivist.core.errors import BlobNotFoundError, InvalidInputError
from archivist.core.models import RunFile
from archivist.core.paths import validate_logical_path
from archivist.metadata.schema import run_files, run_history
from archivist.service import blob_access
from archivist.service.authorization import Access
from archivist.service.locks import guard_blob_references
from archivist.service.records import chunked
from archivist.service.validation import validate_count, validate_json_object
from archivist.storage.base import BlobStore


def append_history(connection: Connection, run_pk: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store metric rows keyed by their ``_step``; a row for a step already stored replaces it."""
    by_step: dict[int, dict[str, Any]] = {}
    for row in rows:
        checked = validate_json_object(row, "history row")
        step = validate_count(checked.get("_step"), "history row '_step'")
        by_step[step] = checked
    if not by_step:
        return
    steps = list(by_step)
    for chunk in chunked(steps):
        connection.execute(
            delete(run_history).where(run_history.c.run_pk == run_pk, run_history.c.step.in_(chunk))
        )
    connection.execute(
        insert(run_history), [{"run_pk": run_pk, "step": step, "row": by_step[step]} for step in steps]
    )


def read_history(
    connection: Connection, run_pk: int, min_step: int, max_step: int | None, limit: int
) -> list[dict[str, Any]]:
    """Rows with ``min_step <= _step < max_step`` in step order, at most ``limit``."""
    validate_count(min_step, "min_step")
    validate_count(max_step, "max_step", optional=True)
    validate_count(limit, "limit")
    statement = select(run_history.c.row).where(
        run_history.c.run_pk == run_pk, run_history.c.step >= min_step
    )
    if max_step is not None:
        statement = statement.where(run_history.c.step < max_step)
    statement = statement.order_by(run_history.c.step).limit(limit)
    return list(connection.execute(statement).scalars())


def add_run_files(
    connection: Connection,
    store: BlobStore,
    run_pk: int,
    files: Sequence[RunFile],
    access: Access | None = None,
) -> None:
    """Attach stored blobs to the run by path; a path attached before is replaced. A blob the
    user may not read (``blob_access``) counts as missing: naming a digest grants nothing."""
    by_path: dict[str, RunFile] = {}
    for item in files:
        if not isinstance(item, RunFile):
            raise InvalidInputError(f"expected RunFile items, got {type(item).__name__}: {item!r}")
        path = validate_logical_path(item.path)
        by_path[path] = RunFile(path, validate_digest(item.digest), validate_count(item.size, "file size"))
    if not by_path:
        return
    guard_blob_references(connection)
    digests = {item.digest for item in by_path.values()}
    missing = store.missing(digests)
    missing |= digests - missing - blob_access.readable(connection, access, digests - missing)
    if missing:
        example = next(p for p, item in by_path.items() if item.digest in missing)
        raise BlobNotFoundError(
            f"{len(missing)} run file blob(s) are not in the store, e.g. {example!r} "
            f"(digest {by_path[example].digest}); upload them before attaching"
        )
    paths = list(by_path)
    for chunk in chunked(paths):
        connection.execute(delete(run_files).where(run_files.c.run_pk == run_pk, run_files.c.path.in_(chunk)))
    connection.execute(
        insert(run_files),
        [{"run_pk": run_pk, "path": f.path, "digest": f.digest, "size": f.size} for f in by_path.values()],
    )
    blob_access.release(connection, access, digests)


def list_run_files(connection: Connection, run_pk: int) -> list[RunFile]:
    statement = (
        select(run_files.c.path, run_files.c.digest, run_files.c.size)
        .where(run_files.c.run_pk == run_pk)
        .order_by(run_files.c.path)
    )
    return [RunFile(path, digest, size) for path, digest, size in connection.execute(statement)]
