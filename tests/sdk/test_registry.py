"""Registries and links through the SDK, on the embedded store and on a server (SQLite +
folder, PostgreSQL + S3): W&B's registry notebook flow in miniature, legacy targets, type
checks, properties of links and their sources, and a registry path wherever a path goes.

Registries belong to the organization (the whole store or server), which the server
variants share between tests: every name here is made unique per test.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import archivist as wandb
from archivist.core.errors import ArtifactNotFoundError, ConflictError, InvalidInputError, TypeConflictError

pytestmark = pytest.mark.usefixtures("archivist_env")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _model(run, name: str, text: str, type_: str = "model") -> wandb.Artifact:
    art = wandb.Artifact(name, type=type_)
    with art.new_file("weights.bin", mode="w") as f:
        f.write(text)
    return run.log_artifact(art).wait()


def test_the_registry_notebook_flow(default_entity: str) -> None:
    api = wandb.Api()
    name = _unique("Golden Models")  # registry names may hold spaces
    registry = api.create_registry(
        name, "organization", description="promoted models", artifact_types=["model"]
    )
    assert (registry.name, registry.full_name, registry.visibility) == (
        name,
        f"wandb-registry-{name}",
        "organization",
    )
    assert registry.artifact_types == ["model"] and registry.description == "promoted models"
    with pytest.raises(ConflictError, match="already exists"):
        api.create_registry(name, "organization")
    target = f"wandb-registry-{name}/classifier"

    with wandb.init(project="train", job_type="train") as run:
        trained = _model(run, "clf", "weights v0")
        link = run.link_artifact(trained, target, aliases=["production"])
        run_path = run.path
    assert link.is_link and not trained.is_link
    assert (link.name, link.version, link.collection.name) == ("classifier:v0", "v0", "classifier")
    assert link.qualified_name == f"organization/wandb-registry-{name}/classifier:v0"
    assert (link.source_name, link.source_version) == ("clf:v0", "v0")
    assert link.source_qualified_name == f"{default_entity}/train/clf:v0"
    assert (link.source_entity, link.source_project) == (default_entity, "train")
    assert link.source_collection.name == "clf" and link.source_collection.project == "train"
    assert link.source_artifact.id == trained.id and link.source_artifact.is_link is False
    assert sorted(link.aliases) == ["latest", "production"]
    assert [a.qualified_name for a in trained.linked_artifacts] == [link.qualified_name]
    assert link.linked_artifacts == []
    assert link.source_artifact.source_artifact.id == trained.id  # a source is its own source

    with wandb.init(project="serve", job_type="serve") as run:
        used = run.use_artifact(f"wandb-registry-{name}/classifier:production")
        folder = Path(used.download())
        serve_path = run.path
    assert (folder / "weights.bin").read_text() == "weights v0"
    assert used.is_link and used.id == link.id
    # the lineage edge goes to the source version: the graph shows which run made it
    assert [r.path for r in trained.used_by()] == [serve_path.split("/")]
    producer = api.artifact(f"wandb-registry-{name}/classifier:production").logged_by()
    assert producer is not None and producer.path == run_path.split("/")
    assert f"{name}" in [r.name for r in api.registries(filter={"name": {"$regex": "^Golden Models"}})]
    assert [r.name for r in api.registries(filter={"name": name})] == [name]
    assert [c.name for c in api.registry(name).collections()] == ["classifier"]
    assert [v.name for v in api.registry(name).versions(filter={"alias": "production"})] == ["classifier:v0"]


def test_linking_again_returns_the_link_and_a_new_version_gets_the_next_number() -> None:
    collection = _unique("clf")
    with wandb.init(project="p") as run:
        first = _model(run, "clf", "1")
        link = first.link(f"wandb-registry-model/{collection}", aliases=["staging"])
        again = run.link_artifact(first, f"wandb-registry-model/{collection}", aliases=["production"])
        second = _model(run, "clf", "2")
        newer = second.link(f"wandb-registry-model/{collection}", aliases=["staging"])
    assert again.id == link.id and sorted(again.aliases) == ["latest", "production", "staging"]
    assert (newer.version, sorted(newer.aliases)) == ("v1", ["latest", "staging"])
    api = wandb.Api()
    assert api.artifact(f"wandb-registry-model/{collection}:production").id == link.id
    assert api.artifact(f"wandb-registry-model/{collection}").id == newer.id  # no alias: latest
    assert api.artifact(f"my-org/wandb-registry-model/{collection}:v0").id == link.id  # an org prefix


def test_a_link_carries_the_tags_and_metadata_its_source_had_when_linked() -> None:
    collection = _unique("tagged")
    with wandb.init(project="p") as run:
        source = _model(run, "tagged", "w")
        source.tags = ["us-west-2", "production"]
        source.metadata = {"accuracy": 0.7}
        source.save()
        link = run.link_artifact(source, f"wandb-registry-model/{collection}")
        plain = _model(run, "plain", "x").link(f"wandb-registry-model/{collection}")
    assert sorted(link.tags) == ["production", "us-west-2"] and link.metadata == {"accuracy": 0.7}
    assert plain.tags == []
    found = wandb.Api().artifacts("model", f"wandb-registry-model/{collection}", tags=["production"])
    assert [a.id for a in found] == [link.id]


def test_a_draft_is_logged_by_link_artifact_before_it_is_linked() -> None:
    collection = _unique("drafted")
    with wandb.init(project="p") as run:
        art = wandb.Artifact("net", type="model")
        with art.new_file("w.bin", mode="w") as f:
            f.write("w")
        link = run.link_artifact(art, f"wandb-registry-model/{collection}")
    assert link.source_name == "net:v0" and art.version == "v0"


def test_legacy_targets_land_in_the_model_registry_with_a_notice(capsys: pytest.CaptureFixture[str]) -> None:
    spaced = _unique("My Model")
    bare = _unique("bare")
    with wandb.init(project="p") as run:
        art = _model(run, "net", "w")
        legacy = run.link_artifact(art, f"model-registry/{spaced}")
        plain = art.link(bare)
    assert (legacy.project, legacy.collection.name) == ("wandb-registry-model", spaced)
    assert plain.qualified_name == f"organization/wandb-registry-model/{bare}:v0"
    err = capsys.readouterr().err
    assert f"'model-registry/{spaced}' names W&B's old model registry" in err
    assert f"as 'wandb-registry-model/{spaced}'" in err
    assert wandb.Api().artifact(f"wandb-registry-model/{spaced}:latest").id == legacy.id
    # reading through the old path is redirected too, with a notice
    assert wandb.Api().artifact(f"model-registry/{spaced}:latest").id == legacy.id
    with wandb.init(project="serve") as run:
        assert run.use_artifact(f"some-team/model-registry/{bare}").id == plain.id
    err = capsys.readouterr().err
    assert f"'model-registry/{spaced}:latest' names W&B's old model registry; reading it" in err
    assert f"'some-team/model-registry/{bare}' names W&B's old model registry" in err


def test_types_are_checked_and_the_error_names_both() -> None:
    collection = _unique("typed")
    registry = _unique("anything")
    wandb.Api().create_registry(registry, "organization")  # no types given: every type is accepted
    with wandb.init(project="p") as run:
        data = _model(run, "cats", "c", type_="dataset")
        model = _model(run, "net", "n")
        with pytest.raises(TypeConflictError, match=r"accepts the types \['model'\].*type 'dataset'"):
            data.link(f"wandb-registry-model/{collection}")
        model.link(f"wandb-registry-{registry}/{collection}")
        with pytest.raises(ValueError, match="holds type 'model'; cannot link .*cats:v0.* of type 'dataset'"):
            run.link_artifact(data, f"wandb-registry-{registry}/{collection}")
        with pytest.raises(InvalidInputError, match="'proj' is not a registry"):
            run.link_artifact(model, "proj/name")
        with pytest.raises(InvalidInputError, match="names a collection, not a version"):
            run.link_artifact(model, f"wandb-registry-model/{collection}:v0")


def test_accepted_types_are_added_never_removed() -> None:
    api = wandb.Api()
    name = _unique("evals")
    registry = api.create_registry(name, "organization", artifact_types=["dataset"])
    registry.artifact_types.append("table")
    registry.artifact_types.append("scratch")
    registry.artifact_types.remove("scratch")  # not saved yet: may go
    registry.save()
    assert api.registry(f"wandb-registry-{name}").artifact_types == ["dataset", "table"]
    with pytest.raises(InvalidInputError, match="'dataset' is saved as accepted"):
        registry.artifact_types.remove("dataset")
    registry.visibility = "restricted"
    registry.save()
    registry.visibility = "organization"
    with pytest.raises(InvalidInputError, match="cannot become visible to the whole organization again"):
        registry.save()
    registry.delete()
    assert name not in [r.name for r in api.registries()]


def test_unlink_and_source_deletion() -> None:
    collection = _unique("clf")
    with wandb.init(project="p") as run:
        first = _model(run, "clf", "1")
        second = _model(run, "clf", "2")
        kept = first.link(f"wandb-registry-model/{collection}", aliases=["production"])
        dropped = second.link(f"wandb-registry-model/{collection}")
    with pytest.raises(ValueError, match="is not a linked artifact"):
        first.unlink()
    api = wandb.Api()
    assert api.artifact(f"wandb-registry-model/{collection}:latest").id == dropped.id
    dropped.unlink()
    assert api.artifact(f"wandb-registry-model/{collection}:latest").id == kept.id
    assert api.artifact("p/clf:v1").id == second.id  # the source stays
    first.delete(delete_aliases=True)  # deleting a source deletes its links
    with pytest.raises(ArtifactNotFoundError):
        api.artifact(f"wandb-registry-model/{collection}:production")


def test_nothing_is_logged_into_a_registry_project() -> None:
    with wandb.init(project="wandb-registry-model") as run:
        art = wandb.Artifact("sneak", type="model")
        with art.new_file("w.bin", mode="w") as f:
            f.write("w")
        with pytest.raises(InvalidInputError, match="are registries"):
            run.log_artifact(art).wait()
        run.finish()


def test_filters_chain_from_registries_to_collections_to_versions() -> None:
    api = wandb.Api()
    name = _unique("chain")
    api.create_registry(name, "organization", artifact_types=["model"])
    with wandb.init(project="p") as run:
        for collection, text, aliases in (
            ("alpha", "1", ["production"]),
            ("alpha", "2", []),
            ("beta", "3", []),
        ):
            _model(run, "net", text).link(f"wandb-registry-{name}/{collection}", aliases=aliases)
    registries = api.registries(filter={"name": name})
    assert [r.name for r in registries] == [name]
    assert [c.name for c in registries.collections()] == ["alpha", "beta"]
    assert [c.name for c in registries.collections(filter={"name": {"$regex": "^b"}})] == ["beta"]
    assert [v.name for v in registries.versions(filter={"alias": "production"})] == ["alpha:v0"]
    assert [v.name for v in registries.collections(filter={"name": "alpha"}).versions()] == [
        "alpha:v1",
        "alpha:v0",
    ]
    either = {"$or": [{"alias": "production"}, {"collection": "beta"}]}
    assert sorted(v.name for v in api.registry(name).versions(filter=either)) == ["alpha:v0", "beta:v0"]
    with pytest.raises(InvalidInputError, match="cannot filter on 'colour'"):
        api.registries(filter={"colour": "red"})
    with pytest.raises(InvalidInputError, match=r"unknown registry filter operator '\$near' on 'name'"):
        api.registries(filter={"name": {"$near": "a"}})
    with pytest.raises(InvalidInputError, match="invalid \\$regex"):
        api.registries(filter={"name": {"$regex": "("}})


def test_filters_run_by_the_database_come_back_page_by_page() -> None:
    api = wandb.Api()
    name = _unique("paged")
    api.create_registry(name, "organization", description="paged one", artifact_types=["model"])
    with wandb.init(project="p") as run:
        for index in range(5):
            art = wandb.Artifact("net", type="model", metadata={"acc": index / 10})
            with art.new_file("weights.bin", mode="w") as f:
                f.write(f"w{index}")
            run.log_artifact(art).wait().link(
                f"wandb-registry-{name}/{'odd' if index % 2 else 'even'}",
                aliases=["best"] if index == 3 else [],
            )
    registry = api.registry(name)
    assert [r.name for r in api.registries(filter={"description": {"$contains": "paged"}}, per_page=1)] == [
        name
    ]
    assert [c.name for c in registry.collections(per_page=1)] == ["even", "odd"]
    assert [c.name for c in registry.collections(filter={"name": {"$not": {"$regex": "^e"}}})] == ["odd"]
    assert [v.name for v in registry.versions(per_page=2)] == [
        "even:v2",
        "even:v1",
        "even:v0",
        "odd:v1",
        "odd:v0",
    ]
    assert [v.name for v in registry.versions(filter={"metadata.acc": {"$gte": 0.2}}, per_page=1)] == [
        "even:v2",
        "even:v1",
        "odd:v1",
    ]
    assert [v.name for v in registry.versions(filter={"alias": "best", "version": {"$gte": "v1"}})] == [
        "odd:v1"
    ]
    with pytest.raises(InvalidInputError, match="per_page must be a whole number from 1 to 1000, got 0"):
        registry.versions(per_page=0)
    with pytest.raises(InvalidInputError, match="cannot filter on 'size' in a version filter"):
        registry.versions(filter={"size": 3})
