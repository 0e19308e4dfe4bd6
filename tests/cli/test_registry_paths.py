"""Registry paths on the command line, in real ``python -m archivist`` processes, on the
embedded store and on a server: ``artifact get`` and ``artifact ls`` of a registry."""

from __future__ import annotations

import uuid
from pathlib import Path

import archivist
from tests.cli.conftest import RunScript


def _linked(collection: str) -> None:
    with archivist.init(project="train") as run:
        art = archivist.Artifact("clf", type="model")
        with art.new_file("weights.txt", mode="w") as f:
            f.write("trained weights")
        run.log_artifact(art).wait()
        run.link_artifact(art, f"wandb-registry-model/{collection}", aliases=["production"])


def test_get_and_ls_take_registry_paths(run_script: RunScript, tmp_path: Path) -> None:
    collection = f"Served Model {uuid.uuid4().hex[:8]}"
    _linked(collection)
    dest = tmp_path / "served"
    got = run_script("artifact", "get", f"wandb-registry-model/{collection}:production", "--root", str(dest))
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == str(dest)
    assert (dest / "weights.txt").read_text() == "trained weights"
    listed = run_script("artifact", "ls", "wandb-registry-model")
    assert listed.returncode == 0, listed.stderr
    assert collection in listed.stdout


def test_a_bad_registry_path_is_named_without_a_traceback(run_script: RunScript) -> None:
    bad = run_script("artifact", "get", "wandb-registry-model/ spaced:production")
    assert bad.returncode != 0
    assert "registry collection name ' spaced'" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = run_script("artifact", "get", "wandb-registry-model/nothing-here:production")
    assert missing.returncode != 0 and "not found" in missing.stderr and "Traceback" not in missing.stderr


def test_get_reads_a_bare_targets_link_from_the_project_it_was_made_in(
    run_script: RunScript, tmp_path: Path
) -> None:
    name = f"Nature Classification {uuid.uuid4().hex[:8]}"
    with archivist.init(project="train") as run:
        art = archivist.Artifact("iv3", type="model")
        with art.new_file("weights.txt", mode="w") as f:
            f.write("staged weights")
        run.link_artifact(art, name, aliases=["staging"])
    dest = tmp_path / "staged"
    got = run_script("artifact", "get", f"train/{name}:staging", "--root", str(dest))
    assert got.returncode == 0, got.stderr
    assert (dest / "weights.txt").read_text() == "staged weights"
    assert "reading the link a bare link target (W&B's old model registry) made from there" in got.stderr
    missing = run_script("artifact", "get", f"elsewhere/{name}:staging")
    assert missing.returncode != 0 and "not found" in missing.stderr and "Traceback" not in missing.stderr


def test_alias_add_refuses_a_promotion_rule_and_takes_an_override_reason(run_script: RunScript) -> None:
    registry = f"serving-{uuid.uuid4().hex[:8]}"
    api = archivist.Api()
    api.create_registry(registry, "organization", artifact_types=["model"])
    api.registry(registry).protect_alias("production", rule="metadata.framework == 'torch'")
    with archivist.init(project="train") as run:
        art = archivist.Artifact("clf", type="model", metadata={"framework": "jax"})
        with art.new_file("weights.txt", mode="w") as f:
            f.write("jax weights")
        run.log_artifact(art).wait()
        run.link_artifact(art, f"wandb-registry-{registry}/clf")
    path = f"wandb-registry-{registry}/clf:v0"
    refused = run_script("artifact", "alias", "add", path, "production")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert 'metadata.framework == "torch" failed: metadata.framework is "jax"' in refused.stderr
    done = run_script("artifact", "alias", "add", path, "production", "--override-reason", "jax is fine here")
    assert done.returncode == 0, done.stderr
    assert "Alias 'production' now names" in done.stdout
    assert "production" in api.artifact(path).aliases
