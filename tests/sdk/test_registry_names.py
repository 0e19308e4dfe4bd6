"""Registry names whatever their case, and links made by a bare target read back from the
run's project, through the SDK on the embedded store and on a server (SQLite + folder,
PostgreSQL + S3). Registries belong to the whole store or server: names are unique per test."""

from __future__ import annotations

import uuid

import pytest

import archivist as wandb
from archivist.core.errors import ArtifactNotFoundError, ConflictError

pytestmark = pytest.mark.usefixtures("archivist_env")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _model(run, name: str, text: str) -> wandb.Artifact:
    art = wandb.Artifact(name, type="model")
    with art.new_file("weights.bin", mode="w") as f:
        f.write(text)
    return run.log_artifact(art).wait()


def test_registry_paths_api_registry_and_link_targets_match_whatever_the_case() -> None:
    api = wandb.Api()
    name = _unique("Zoo")
    api.create_registry(name, "organization", artifact_types=["model"])
    assert api.registry(name.lower()).name == api.registry(name.upper()).name == name
    with pytest.raises(ConflictError, match=f"existing registry '{name}'"):
        api.create_registry(name.lower(), "organization")
    with wandb.init(project="zoo") as run:
        art = _model(run, "clf", "w")
        link = run.link_artifact(art, f"wandb-registry-{name.lower()}/classifier", aliases=["production"])
    assert link.project == f"wandb-registry-{name}"  # the name as created
    with wandb.init(project="serve") as run:
        used = run.use_artifact(f"wandb-registry-{name.upper()}/classifier:production")
    assert used.id == link.id
    assert api.artifact(f"my-org/wandb-registry-{name.lower()}/classifier:v0").id == link.id
    assert [c.name for c in api.registry(name.lower()).collections()] == ["classifier"]
    assert [r.name for r in api.registries()].count(name) == 1
    assert not any(r.name == name.lower() for r in api.registries())
    api.registry(name.upper()).delete()
    with pytest.raises(ArtifactNotFoundError):
        api.artifact(f"wandb-registry-{name}/classifier:v0")


def test_a_bare_target_is_read_back_from_the_runs_project_with_a_notice(
    default_entity: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spaced, project = _unique("Nature Classification"), _unique("Model Registry E2E")
    with wandb.init(project=project) as run:
        art = _model(run, "iv3", "w0")
        link = run.link_artifact(art, spaced, ["staging"])
    capsys.readouterr()
    with wandb.init(project=project) as run:
        used = run.use_artifact(f"{spaced}:staging")
    assert used.id == link.id and used.is_link and used.project == "wandb-registry-model"
    assert (used.source_name, used.source_project) == ("iv3:v0", project)
    err = capsys.readouterr().err
    assert f"'{spaced}:staging' is not in {default_entity}/{project}; reading the link" in err
    assert f"'wandb-registry-model/{spaced}'" in err
    api = wandb.Api()
    assert api.artifact(f"{default_entity}/{project}/{spaced}:staging").id == link.id
    assert api.artifact(f"{project}/{spaced}:latest").id == link.id
    # from another project the name is not found, and the message says nothing of the registry
    capsys.readouterr()
    with pytest.raises(ArtifactNotFoundError) as elsewhere:
        api.artifact(f"{_unique('elsewhere')}/{spaced}:staging")
    assert "wandb-registry" not in str(elsewhere.value)
    assert "wandb-registry" not in capsys.readouterr().err


def test_a_collection_of_the_project_comes_before_a_bare_targets_link() -> None:
    name, project = _unique("clf"), _unique("p")
    with wandb.init(project=project) as run:
        linked = _model(run, "source", "linked")
        run.link_artifact(linked, name)
    with wandb.init(project=project) as run:
        assert run.use_artifact(f"{name}:latest").source_name == "source:v0"
        own = _model(run, name, "own")
    assert wandb.Api().artifact(f"{project}/{name}:latest").id == own.id


def test_artifact_link_outside_a_run_remembers_the_artifacts_project() -> None:
    name, project = _unique("outside"), _unique("p")
    with wandb.init(project=project) as run:
        _model(run, "net", "w")
    link = wandb.Api().artifact(f"{project}/net:v0").link(name)
    assert wandb.Api().artifact(f"{project}/{name}:v0").id == link.id


def test_a_legacy_path_reads_a_project_named_model_registry_first(default_entity: str) -> None:
    name = _unique("mnist")
    with wandb.init(project="model-registry") as run:
        own = _model(run, name, "own")
    api = wandb.Api()
    assert api.artifact(f"model-registry/{name}:latest").id == own.id
    assert api.artifact(f"{default_entity}/model-registry/{name}:v0").id == own.id
    with wandb.init(project="elsewhere") as run:
        link = run.link_artifact(_model(run, "other", "x"), f"model-registry/{name}-linked")
    assert api.artifact(f"model-registry/{name}-linked:latest").id == link.id
