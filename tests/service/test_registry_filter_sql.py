"""Registry, collection and version filters are answered by the database: the SELECT
carries the filter and its page (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from archivist.core.errors import InvalidInputError
from archivist.core.models import CollectionUpdate, VersionQuery
from archivist.core.registries import ORGANIZATION
from archivist.service.service import Service
from tests.client.artifact_logging import ENTITY, PROJECT, log_text


def _statements(service: Service) -> list[str]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(service.engine, "before_cursor_execute", record)
    return seen


def test_the_database_selects_the_registries_collections_and_versions(service: Service) -> None:
    for index in range(30):
        service.create_registry(f"reg-{index:02}", "organization", f"team {index % 3}", ["model"])
    for index in range(12):
        version = log_text(
            service, "clf", f"w{index}", type_name="model", metadata={"acc": index / 12}
        ).version
        service.link_version(version.id, "reg-00", f"c{index:02}", ["production"] if index == 7 else [])
        service.update_collection(
            ORGANIZATION, "wandb-registry-reg-00", f"c{index:02}", CollectionUpdate(tags=[f"t{index % 2}"])
        )
    seen = _statements(service)
    found = service.list_registries(
        {"description": {"$contains": "team 1"}, "name": {"$gte": "reg-10"}}, 2, 3
    )
    assert [r.name for r in found] == ["reg-16", "reg-19", "reg-22"]
    [select] = [s for s in seen if "FROM registries" in s and "LIMIT" in s]
    assert "LIKE" in select and "OFFSET" in select
    seen.clear()
    collections = service.list_collections(ORGANIZATION, "wandb-registry-reg-00", None, {"tag": "t1"}, 1, 2)
    assert [c.name for c in collections] == ["c03", "c05"]
    [select] = [s for s in seen if "FROM collections" in s and "LIMIT" in s]
    assert (
        "jsonb_array_elements_text" if service.engine.dialect.name == "postgresql" else "json_each"
    ) in select
    seen.clear()
    query = VersionQuery(ENTITY, PROJECT, "clf", filter={"metadata.acc": {"$gt": 0.5}}, offset=1, limit=2)
    assert [v.version for v in service.list_versions(query)] == ["v10", "v9"]
    [select] = [s for s in seen if "FROM versions" in s and "LIMIT" in s]
    assert ("jsonb_typeof" if service.engine.dialect.name == "postgresql" else "json_type") in select
    seen.clear()
    linked = VersionQuery(ORGANIZATION, "wandb-registry-reg-00", "c07", filter={"alias": "production"})
    assert [v.version for v in service.list_versions(linked)] == ["v0"]
    [select] = [s for s in seen if "FROM versions" in s and "aliases" in s and "EXISTS" in s]


def test_a_regular_expression_the_database_refuses_is_an_input_error(service: Service) -> None:
    service.create_registry("adam", "organization")
    wanted = {"name": {"$regex": "(?P<name>ad)am"}}
    if service.engine.dialect.name == "postgresql":  # POSIX regular expressions: no named groups
        with pytest.raises(
            InvalidInputError, match=r"the database refused a \$regex of these registry filters"
        ):
            service.list_registries(wanted)
    else:
        assert [r.name for r in service.list_registries(wanted)] == ["adam"]
