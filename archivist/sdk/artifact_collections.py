"""Artifact collections and types as the query API shows them (W&B's
``ArtifactCollection``, ``ArtifactType`` and the ``Artifacts`` list of versions)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from archivist.core.errors import InvalidInputError, NotFoundError
from archivist.core.lifecycle import RetentionRule
from archivist.core.models import UNSET, CollectionRecord, CollectionUpdate, VersionQuery
from archivist.core.names import validate_tags
from archivist.sdk.artifact import Artifact
from archivist.sdk.artifact_history import CollectionHistory
from archivist.sdk.context import Context
from archivist.sdk.lifecycle import Retention

_ORDER_FIELDS = {"version", "created_at", "size", "createdAt"}


class Artifacts(Sequence[Artifact]):
    """A list of versions that also answers ``len()`` (W&B's paginated ``Artifacts``)."""

    def __init__(self, items: list[Artifact]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[Artifact]:
        return iter(self._items)


class ArtifactCollection:
    """A named sequence of versions in a project."""

    def __init__(self, ctx: Context, record: CollectionRecord) -> None:
        self._ctx = ctx
        self._record = record
        self.name = record.name
        self.description = record.description
        self.tags = list(record.tags)
        self._type = record.type
        self.retention = Retention.from_rule(record.retention)
        """The retention rule (``archivist.Retention`` or None), saved with ``save()``."""

    id = property(lambda self: self._record.id)
    entity = property(lambda self: self._record.entity)
    project = property(lambda self: self._record.project)
    aliases = property(lambda self: list(self._record.aliases))
    created_at = property(lambda self: self._record.created_at)
    updated_at = property(lambda self: self._record.updated_at)

    @property
    def type(self) -> str:
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        from archivist.core.names import validate_type

        self._type = validate_type(value, self.name)

    def change_type(self, new_type: str) -> None:
        self.type = new_type
        self.save()

    def is_sequence(self) -> bool:
        return True

    def artifacts(self, per_page: int = 50, order: str | None = None) -> Artifacts:
        query = VersionQuery(self.entity, self.project, self._record.name, order=version_order(order))
        return Artifacts([Artifact.from_record(self._ctx, r) for r in self._ctx.backend.list_versions(query)])

    def history(
        self, alias: str | None = None, event_types: Sequence[str] = (), per_page: int = 50
    ) -> CollectionHistory:
        """The collection's audit trail, newest first: every version created, linked,
        unlinked or deleted, alias added, moved or removed, tag added or removed; only
        ``alias``'s and only ``event_types`` when given."""
        return CollectionHistory(
            self._ctx, self.entity, self.project, self._record.name, alias, event_types, per_page
        )

    def save(self) -> None:
        update = CollectionUpdate(
            name=self.name if self.name != self._record.name else UNSET,
            type=self._type if self._type != self._record.type else UNSET,
            description=self.description,
            tags=tuple(validate_tags(self.tags)),
            retention=self._retention_rule(),
        )
        self._record = self._ctx.backend.update_collection(
            self.entity, self.project, self._record.name, update
        )

    def _retention_rule(self) -> RetentionRule | None:
        if self.retention is not None and not isinstance(self.retention, Retention):
            raise InvalidInputError(
                f"retention must be an archivist.Retention or None, got {self.retention!r}"
            )
        return None if self.retention is None else self.retention.rule()

    def delete(self) -> None:
        """Soft-delete the collection and all its versions (restorable until purged)."""
        self._ctx.backend.delete_collection(self.entity, self.project, self._record.name)

    def __repr__(self) -> str:
        return f"<ArtifactCollection {self.entity}/{self.project}/{self.name} type={self.type}>"


class ArtifactType:
    def __init__(self, ctx: Context, entity: str, project: str, name: str) -> None:
        self._ctx = ctx
        self.entity = entity
        self.project = project
        self.name = name

    @property
    def id(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}"

    def collections(self, per_page: int = 50) -> list[ArtifactCollection]:
        records = self._ctx.backend.list_collections(self.entity, self.project, self.name)
        return [ArtifactCollection(self._ctx, r) for r in records]

    def collection(self, name: str) -> ArtifactCollection:
        record = self._ctx.backend.get_collection(self.entity, self.project, name)
        if record.type != self.name:
            raise NotFoundError(f"collection {name!r} has type {record.type!r}, not {self.name!r}")
        return ArtifactCollection(self._ctx, record)

    def __repr__(self) -> str:
        return f"<ArtifactType {self.name}>"


def version_order(order: str | None) -> str:
    if not order:
        return "-version"
    sign = order[0] if order[0] in "+-" else "+"
    field = order.lstrip("+-")
    if field not in _ORDER_FIELDS:
        raise InvalidInputError(
            f"invalid order {order!r}: use '+' or '-' followed by version, created_at or size"
        )
    return sign + ("created_at" if field == "createdAt" else field)
