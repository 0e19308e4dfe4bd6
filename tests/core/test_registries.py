"""Registry names, link targets and registry paths (pure)."""

from __future__ import annotations

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.paths import is_legacy_path, parse_artifact_path, parse_project_path
from archivist.core.registries import ORGANIZATION, LinkTarget, parse_link_target


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("wandb-registry-model/clf", LinkTarget("model", "clf", legacy=False)),
        ("acme/wandb-registry-Golden Sets/eval set", LinkTarget("Golden Sets", "eval set", legacy=False)),
        ("model-registry/My Model", LinkTarget("model", "My Model", legacy=True)),
        ("team/model-registry/My Model", LinkTarget("model", "My Model", legacy=True)),
        ("My Model", LinkTarget("model", "My Model", legacy=True, bare=True)),
    ],
)
def test_link_targets(target: str, expected: LinkTarget) -> None:
    assert parse_link_target(target) == expected


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "invalid link target ''"),
        ("wandb-registry-model/clf:v1", "names a collection, not a version"),
        ("a/b/c/d", "expected '\\[org/\\]wandb-registry-<registry>/<collection>'"),
        ("proj/clf", "'proj' is not a registry"),
        ("wandb-registry-model/ clf", "registry collection name ' clf'"),
        ("wandb-registry-a#b/clf", "registry name 'a#b'"),
        ("bad org!/wandb-registry-model/clf", "entity 'bad org!'"),
        (42, "invalid link target 42"),
    ],
)
def test_bad_link_targets_are_named(target: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_link_target(target)


def test_a_registry_path_is_the_organizations_whatever_its_prefix() -> None:
    for path in ("wandb-registry-model/clf v2:production", "my-org/wandb-registry-model/clf v2:production"):
        parsed = parse_artifact_path(path)
        assert (parsed.entity, parsed.project, parsed.name, parsed.selector) == (
            ORGANIZATION,
            "wandb-registry-model",
            "clf v2",
            "production",
        )
    assert (
        str(parse_artifact_path("wandb-registry-model/clf")) == "organization/wandb-registry-model/clf:latest"
    )
    assert parse_project_path("my-org/wandb-registry-Golden Sets") == (
        ORGANIZATION,
        "wandb-registry-Golden Sets",
    )
    legacy = parse_artifact_path("team/model-registry/My Model:v1")
    assert (legacy.entity, legacy.project, legacy.name) == (ORGANIZATION, "wandb-registry-model", "My Model")
    assert is_legacy_path("model-registry/x:v1") and not is_legacy_path("proj/x:v1")
    with pytest.raises(InvalidInputError, match="artifact name 'clf v2'"):
        parse_artifact_path("proj/clf v2")  # spaces only inside registries
    # ... and in a path being read: a link a bare target made in the project (W&B's old models)
    read = parse_artifact_path("team/Model Registry E2E/Nature Classification:staging", linked_names=True)
    assert (read.entity, read.project, read.name, read.alias) == (
        "team",
        "Model Registry E2E",
        "Nature Classification",
        "staging",
    )
    with pytest.raises(InvalidInputError, match="linked collection name 'clf  v2'.*single spaces"):
        parse_artifact_path("proj/clf  v2", linked_names=True)
