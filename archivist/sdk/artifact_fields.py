"""The fields a user edits on an artifact: description, metadata, aliases, tags and TTL.
Mixed into ``Artifact``. A draft sends them with its commit; a logged version saves
them with ``save()``."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from archivist.core.errors import ArtifactNotLoggedError, InvalidInputError
from archivist.core.lifecycle import TTL_DISABLED, TTL_INHERIT, ttl_refusal
from archivist.core.models import VersionRecord
from archivist.core.names import validate_aliases, validate_metadata, validate_tags


class ArtifactTTL(enum.Enum):
    INHERIT = 0


class EditableFieldsMixin:
    _type: str
    _description: str | None
    _metadata: dict[str, Any]
    _aliases: list[str]
    _tags: list[str]
    _ttl: dt.timedelta | ArtifactTTL | None
    _record: VersionRecord | None

    if TYPE_CHECKING:

        @property
        def is_link(self) -> bool: ...

    @property
    def description(self) -> str | None:
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = check_description(value)

    @property
    def metadata(self) -> dict[str, Any]:
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self._metadata = validate_metadata(value)

    @property
    def aliases(self) -> list[str]:
        return self._aliases

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        self._aliases = list(validate_aliases(value))

    @property
    def tags(self) -> list[str]:
        return self._tags

    @tags.setter
    def tags(self, value: list[str]) -> None:
        self._tags = list(validate_tags(value))

    @property
    def ttl(self) -> dt.timedelta | None:
        if self._ttl is ArtifactTTL.INHERIT:
            if self._record is None:
                raise ArtifactNotLoggedError(
                    "this draft inherits its TTL from the team default, known once it is logged"
                )
            return timedelta(self._record.ttl_seconds)  # the team default in effect
        return self._ttl

    @ttl.setter
    def ttl(self, value: dt.timedelta | ArtifactTTL | None) -> None:
        if self.is_link:
            raise InvalidInputError("Cannot set TTL for link artifact")
        refusal = ttl_refusal(self._type, False)
        if refusal is not None and isinstance(value, dt.timedelta):
            raise InvalidInputError(refusal)
        if value is None or value is ArtifactTTL.INHERIT:
            self._ttl = value
            return
        if not isinstance(value, dt.timedelta) or value.total_seconds() < 1:
            raise InvalidInputError(
                f"invalid ttl {value!r}: use a positive datetime.timedelta, None or ArtifactTTL.INHERIT"
            )
        self._ttl = value

    def _ttl_seconds(self) -> int:
        """The TTL policy on the wire (``core.lifecycle``)."""
        if isinstance(self._ttl, dt.timedelta):
            return int(self._ttl.total_seconds())
        return TTL_INHERIT if self._ttl is ArtifactTTL.INHERIT else TTL_DISABLED


def timedelta(seconds: int | None) -> dt.timedelta | None:
    return None if seconds is None else dt.timedelta(seconds=seconds)


def check_description(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"description must be a string, got {type(value).__name__}")
    return value
