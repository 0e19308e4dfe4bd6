"""Time travel and history through the SDK, on the embedded store and on a server: promote,
roll back, and ask which version was in production at each moment (issue 18 point 4)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

import archivist as wandb
from archivist.core.errors import ArtifactNotFoundError

pytestmark = pytest.mark.usefixtures("archivist_env")


def _model(run: wandb.Run, name: str, text: str) -> wandb.Artifact:
    art = wandb.Artifact(name, type="model")
    with art.new_file("weights.bin", mode="w") as f:
        f.write(text)
    return run.log_artifact(art).wait()


def test_promote_roll_back_and_ask_what_was_in_production(default_entity: str) -> None:
    api = wandb.Api()
    collection = f"clf-{uuid.uuid4().hex[:8]}"
    target = f"wandb-registry-model/{collection}"
    with wandb.init(project="train") as run:
        first = run.link_artifact(_model(run, "clf", "good"), target)
        second = run.link_artifact(_model(run, "clf", "worse"), target)
    before_promotion = dt.datetime.now(dt.timezone.utc)
    first.aliases.append("production")
    first.save()
    first_in_production = dt.datetime.now(dt.timezone.utc)
    promoted = api.artifact(f"{target}:v1")
    promoted.aliases.append("production")
    promoted.save()
    second_in_production = dt.datetime.now(dt.timezone.utc)
    rolled_back = api.artifact(f"{target}:v0")  # roll back: move the alias to the earlier version
    rolled_back.aliases.append("production")
    rolled_back.save()

    assert api.artifact(f"{target}:production").version == "v0"
    at = api.artifact(f"{target}:production", as_of=second_in_production)
    assert (at.version, at.id) == ("v1", second.id)
    naive = first_in_production.astimezone(dt.timezone.utc).replace(tzinfo=None)  # naive means UTC
    assert api.artifact(f"{target}:production", as_of=naive).id == first.id
    assert api.artifact(f"{target}:production", as_of=first_in_production.isoformat()).id == first.id
    assert api.artifact(f"{target}:latest", as_of=before_promotion).version == "v1"
    with pytest.raises(ArtifactNotFoundError, match="no version held 'production'"):
        api.artifact(f"{target}:production", as_of=before_promotion)
    with pytest.raises(ValueError, match="as_of 'soon' is not a time"):
        api.artifact(f"{target}:production", as_of="soon")

    history = api.artifact_collection("model", target).history(alias="production", per_page=2)
    moves = [(e.version, e.previous_version) for e in history]
    assert moves == [("v0", "v1"), ("v1", "v0"), ("v0", None)]
    actors = {e.actor for e in api.artifact_collection("model", target).history()}
    assert actors == {"local" if default_entity == "local" else "admin"}  # the servers' key is the admin's
    everything = list(api.artifact_collection("model", target).history())
    assert [(e.event_type, e.alias, e.version) for e in everything][-4:] == [
        ("ADD_ARTIFACT_ALIAS", "latest", "v1"),
        ("LINK_ARTIFACT", None, "v1"),
        ("ADD_ARTIFACT_ALIAS", "latest", "v0"),
        ("LINK_ARTIFACT", None, "v0"),
    ]
    assert everything[-1].collection == collection
