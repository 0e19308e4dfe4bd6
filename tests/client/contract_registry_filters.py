"""Backend contract: registry, collection and version filters (SPEC §7) with pages."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import InvalidInputError, NotFoundError
from archivist.core.models import CollectionUpdate, VersionQuery, VersionUpdate
from archivist.core.registries import ORGANIZATION
from tests.client.artifact_logging import ENTITY, PROJECT, log_text


def _registries(backend: Backend, wanted: dict[str, Any]) -> list[str]:
    return [r.name for r in backend.list_registries(wanted) if r.name not in ("model", "dataset")]


def _versions(backend: Backend, wanted: dict[str, Any], collection: str = "clf") -> list[str]:
    return [
        v.version for v in backend.list_versions(VersionQuery(ENTITY, PROJECT, collection, filter=wanted))
    ]


_NOT_A_DICT = r"\['name'\].*expected a dict|valid dictionary \(got \['name'\]"
"""In process the filter parser answers; over HTTP the request's schema does."""


class RegistryFilterContract:
    def test_registry_filters_each_operator_and_pages(self, backend: Backend) -> None:
        backend.create_registry("alpha", "organization", "vision models", ["model"])
        backend.create_registry("beta", "restricted", None, ["model"])
        backend.create_registry("gamma", "organization", "speech 100%", ["model"])
        assert _registries(backend, {"name": "beta"}) == ["beta"]
        assert _registries(backend, {"name": {"$ne": "beta"}}) == ["alpha", "gamma"]
        assert _registries(backend, {"name": {"$gt": "alpha", "$lte": "gamma"}}) == ["beta", "gamma"]
        assert _registries(backend, {"name": {"$gte": "beta", "$lt": "gamma"}}) == ["beta"]
        assert _registries(backend, {"visibility": "restricted"}) == ["beta"]
        assert _registries(backend, {"description": {"$exists": False}}) == ["beta"]
        assert _registries(backend, {"description": {"$contains": "100%"}}) == ["gamma"]
        assert _registries(backend, {"description": {"$contains": "%"}}) == ["gamma"]
        assert _registries(backend, {"name": {"$not": {"$regex": "^(model|dataset|a)"}}}) == ["beta", "gamma"]
        assert _registries(backend, {"$or": [{"name": "alpha"}, {"visibility": "restricted"}]}) == [
            "alpha",
            "beta",
        ]
        assert _registries(backend, {"$nor": [{"name": "alpha"}, {"name": "beta"}]}) == ["gamma"]
        assert _registries(backend, {"$and": [{"name": {"$regex": "a$"}}, {"name": {"$ne": "gamma"}}]}) == [
            "alpha",
            "beta",
        ]
        assert _registries(backend, {"created_at": {"$lt": "2000-01-01"}}) == []
        assert "alpha" in _registries(backend, {"created_at": {"$gt": "2000-01-01"}})
        every = [r.name for r in backend.list_registries()]
        pages = [backend.list_registries(None, offset, 2) for offset in range(0, len(every), 2)]
        assert [r.name for page in pages for r in page] == every and len(pages[0]) == 2

    def test_collection_filters_in_a_registry_and_pages(self, backend: Backend) -> None:
        project = "wandb-registry-model"
        for name, tags in (("clf", ["prod", "vision"]), ("det", ["staging"]), ("seg", [])):
            version = log_text(backend, name, f"weights {name}", type_name="model").version
            backend.link_version(version.id, "model", name)
            backend.update_collection(ORGANIZATION, project, name, CollectionUpdate(tags=tags))

        def names(wanted: Any, offset: int = 0, limit: int | None = None) -> list[str]:
            found = backend.list_collections(ORGANIZATION, project, None, wanted, offset, limit)
            return [c.name for c in found]

        assert names({"tag": "prod"}) == ["clf"]
        assert names({"tags": {"$contains": "sta"}}) == ["det"]
        assert names({"tag": {"$regex": "^vis"}}) == ["clf"]
        assert names({"tag": {"$in": ["staging", "vision"]}}) == ["clf", "det"]
        assert names({"tag": {"$nin": ["staging", "vision"]}}) == ["seg"]
        assert names({"type": "model", "name": {"$ne": "seg"}}) == ["clf", "det"]
        assert names({"name": {"$not": {"$in": ["clf", "det"]}}}) == ["seg"]
        assert names({"created_at": {"$gte": "2000-01-01T00:00:00Z"}}, 1, 1) == ["det"]
        assert names(None, 2, 5) == ["seg"]

    def test_version_filters_on_aliases_tags_metadata_and_number(self, backend: Backend) -> None:
        for accuracy, framework in ((0.8, "torch"), (0.93, "jax"), (0.97, "torch")):
            log_text(
                backend, "clf", f"w{accuracy}", type_name="model", metadata={"acc": accuracy, "fw": framework}
            )
        log_text(backend, "clf", "w-none", type_name="model", aliases=("candidate",))
        third = backend.resolve_version(ENTITY, PROJECT, "clf", "v2")
        backend.update_version(third.id, VersionUpdate(aliases=["production"], tags=["golden"]))
        assert _versions(backend, {"metadata.acc": {"$gt": 0.9}}) == ["v2", "v1"]
        assert _versions(backend, {"metadata.acc": {"$gte": 0.93, "$lt": 0.95}}) == ["v1"]
        assert _versions(backend, {"metadata.fw": "torch"}) == ["v2", "v0"]
        assert _versions(backend, {"metadata.acc": {"$exists": False}}) == ["v3"]
        assert _versions(backend, {"metadata.fw": {"$ne": "torch"}}) == ["v3", "v1"]
        assert _versions(backend, {"alias": "production"}) == ["v2"]
        assert _versions(backend, {"alias": {"$regex": "^cand"}}) == ["v3"]
        assert _versions(backend, {"tag": {"$contains": "old"}}) == ["v2"]
        assert _versions(backend, {"version": {"$gte": "v1", "$lte": 2}}) == ["v2", "v1"]
        assert _versions(backend, {"type": "model", "$nor": [{"alias": "latest"}, {"version": "v0"}]}) == [
            "v2",
            "v1",
        ]
        assert _versions(backend, {"alias": {"$not": {"$in": ["production", "latest"]}}}) == ["v1", "v0"]
        query = VersionQuery(ENTITY, PROJECT, "clf", filter={"metadata.acc": {"$exists": True}})
        pages = [backend.list_versions(dataclasses.replace(query, offset=o, limit=2)) for o in (0, 2)]
        assert [[v.version for v in page] for page in pages] == [["v2", "v1"], ["v0"]]

    def test_a_registrys_versions_across_collections_in_one_paged_listing(self, backend: Backend) -> None:
        backend.create_registry("zoo", "organization", None, ["model"])
        for name, count in (("beta", 2), ("alpha", 3)):
            for index in range(count):
                version = log_text(backend, name, f"{name} {index}", type_name="model").version
                backend.link_version(version.id, "zoo", name, ["best"] if index == 1 else [])

        def listed(wanted: Any = None, offset: int = 0, limit: int | None = None) -> list[str]:
            return [
                f"{v.collection}:{v.version}"
                for v in backend.list_registry_versions("zoo", wanted, offset, limit)
            ]

        assert listed() == ["alpha:v2", "alpha:v1", "alpha:v0", "beta:v1", "beta:v0"]
        assert listed(None, 2, 2) == ["alpha:v0", "beta:v1"]
        assert listed({"alias": "best"}) == ["alpha:v1", "beta:v1"]
        assert listed({"collection": "beta", "version": {"$lt": 1}}) == ["beta:v0"]
        assert listed({"alias": "latest"}, 1, 5) == ["beta:v1"]
        with pytest.raises(InvalidInputError, match="cannot filter on 'size' in a version filter"):
            listed({"size": 1})
        with pytest.raises(NotFoundError, match="'nothing'"):
            backend.list_registry_versions("nothing")

    @pytest.mark.parametrize(
        ("call", "wanted", "message"),
        [
            (
                "registries",
                {"colour": "red"},
                "cannot filter on 'colour' in a registry filter: the fields are",
            ),
            ("registries", {"name": {"$near": 1}}, r"unknown registry filter operator '\$near' on 'name'"),
            ("registries", {"$xor": [{"name": "a"}]}, r"unknown registry filter operator '\$xor'"),
            ("registries", {"name": {"$regex": "("}}, r"invalid \$regex"),
            ("registries", {"created_at": {"$gt": "yesterday"}}, "invalid date 'yesterday'"),
            ("registries", ["name"], _NOT_A_DICT),
            ("collections", {"tag": {"$not": "x"}}, r"\$not on 'tag' takes a dict of operators"),
            ("collections", {"alias": "x"}, "cannot filter on 'alias' in a collection filter"),
            ("versions", {"version": "latest"}, "compares with 'vN'"),
            ("versions", {"metadata.": 1}, r"cannot filter on 'metadata\.'"),
            ("versions", {"tag": {"$contains": ""}}, r"\$contains on 'tag' takes a non-empty string"),
        ],
    )
    def test_bad_filters_name_what_is_allowed(
        self, backend: Backend, call: str, wanted: Any, message: str
    ) -> None:
        log_text(backend, "clf", "w", type_name="model")
        with pytest.raises(InvalidInputError, match=message):
            if call == "registries":
                backend.list_registries(wanted)
            elif call == "collections":
                backend.list_collections(ENTITY, PROJECT, None, wanted)
            else:
                backend.list_versions(VersionQuery(ENTITY, PROJECT, "clf", filter=wanted))

    def test_bad_pages_are_named(self, backend: Backend) -> None:
        with pytest.raises(InvalidInputError, match="offset"):
            backend.list_registries(None, -1)
        with pytest.raises(InvalidInputError, match="limit"):
            backend.list_collections(ENTITY, PROJECT, None, None, 0, -5)
