"""Protected aliases and promotion rules through the SDK, on the embedded store and on a
server (as its admin, who is admin of every registry): declaring them on a ``Registry``,
promoting under a rule with ``link(aliases=)``, ``run.link_artifact(aliases=)`` and
``artifact.aliases`` + ``save()``, an override with a reason, and a protected source that
cannot be deleted. Other roles are tested on the server (``tests/server``)."""

from __future__ import annotations

import uuid

import pytest

import archivist as wandb
from archivist.core.errors import PromotionRuleError, ProtectedAliasError

pytestmark = pytest.mark.usefixtures("archivist_env")
RULE = "summary.accuracy >= 0.92 and metadata.framework == 'torch'"


def _trained(accuracy: float, framework: str = "torch") -> wandb.Artifact:
    """A model logged by a run whose summary holds ``accuracy``."""
    with wandb.init(project="train", job_type="train") as run:
        run.summary["accuracy"] = accuracy
        art = wandb.Artifact("clf", type="model", metadata={"framework": framework})
        with art.new_file("weights.bin", mode="w") as f:
            f.write(f"weights {accuracy} {framework}")
        logged = run.log_artifact(art).wait()
    return logged


def test_promotion_under_a_rule_with_an_override_and_a_protected_source() -> None:
    api = wandb.Api()
    name = f"models-{uuid.uuid4().hex[:8]}"
    registry = api.create_registry(name, "organization", artifact_types=["model"])
    registry.protect_alias("production", rule=RULE)
    registry.protect_alias("staging")
    assert registry.protected_aliases == {"production": RULE, "staging": None}
    assert api.registry(name).protected_aliases == {"production": RULE, "staging": None}
    target = f"wandb-registry-{name}/classifier"

    weak, strong = _trained(0.90), _trained(0.95)
    with pytest.raises(PromotionRuleError, match="summary.accuracy >= 0.92 failed: summary.accuracy is 0.9"):
        weak.link(target, aliases=["production"])
    with pytest.raises(ValueError, match="override_reason"):  # W&B scripts catch ValueError
        weak.link(target, aliases=["production"])
    staged = weak.link(target, aliases=["staging"])  # no rule on staging
    assert sorted(staged.aliases) == ["latest", "staging"]

    with wandb.init(project="train", job_type="promote") as run:
        promoted = run.link_artifact(strong, target, aliases=["production"])
    assert sorted(promoted.aliases) == ["latest", "production"]

    staged.aliases.append("production")  # moving production back to the weak model
    with pytest.raises(PromotionRuleError, match="'production'"):
        staged.save()
    staged.save(override_reason="the strong model regressed in serving")
    assert "production" in api.artifact(f"{target}:production").aliases
    assert api.artifact(f"{target}:production").id == staged.id

    with pytest.raises(ProtectedAliasError, match="holds the protected alias 'production'"):
        weak.delete(delete_aliases=True)  # the source of a protected link: nobody deletes it
    staged.aliases.remove("production")
    staged.save()
    with pytest.raises(ProtectedAliasError, match="holds the protected alias 'staging'"):
        weak.delete(delete_aliases=True)
    staged.unlink()  # a registry admin may unlink a protected version
    weak.delete(delete_aliases=True)

    registry.unprotect_alias("staging")
    assert registry.protected_aliases == {"production": RULE}
