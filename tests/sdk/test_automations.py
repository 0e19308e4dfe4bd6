"""``archivist.automations`` with W&B's shapes, through ``archivist.Api``: scopes from the
objects W&B uses, ``event >> action``, webhooks in the SDK, history, updates; on the
embedded store a run's ``finish`` waits for the deliveries its changes made."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import archivist
from archivist.automations import (
    ArtifactEvent,
    DoNothing,
    OnAddArtifactAlias,
    OnCreateArtifact,
    OnLinkArtifact,
    OnRunMetric,
    OnRunState,
    RunEvent,
    SendWebhook,
)
from archivist.core.automations import DeliveryStatus, ScopeType
from tests.fixtures.webhook_receiver import Receiver

SECRET = "sdk-secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(SECRET).start()
    yield running
    running.stop()


def _log(project: str, name: str, aliases: list[str] | None = None, **init: object) -> archivist.Run:
    with archivist.init(project=project, **init) as run:  # type: ignore[arg-type]
        artifact = archivist.Artifact(name, type="model", metadata={"acc": 0.9})
        artifact.add_file(str(Path("weights.txt")))
        run.log_artifact(artifact, aliases=aliases or [])
    return run


def test_wandb_shaped_automations_deliver(
    archivist_env: Path, receiver: Receiver, request: pytest.FixtureRequest
) -> None:
    embedded = request.node.callspec.params["archivist_env"] == "embedded"
    Path("weights.txt").write_text("w")
    api = archivist.Api()
    hook = api.create_webhook("deploy", receiver.url, signing_secret=SECRET, secrets={"TEAM": "ml"})
    assert hook.signing_secret is None and [h.name for h in api.webhook_integrations()] == ["deploy"]
    _log("zoo", "seed")
    collection = api.artifact_collection("model", "zoo/seed")
    payload = {"v": "${artifact_version_string}", "acc": "${artifact_metadata.acc}", "team": "$TEAM"}
    on_prod = api.create_automation(
        OnAddArtifactAlias(scope=collection, filter=ArtifactEvent.alias.eq("production"))
        >> SendWebhook.from_integration(hook, payload=payload),
        name="ship",
        description="deploy production models",
    )
    assert on_prod.scope.scope_type is ScopeType.ARTIFACT_COLLECTION and on_prod.enabled
    project = api.project("zoo")
    api.create_automation(
        OnRunState(scope=project, filter=RunEvent.state.in_(["failed"]))
        >> SendWebhook.from_integration(hook),
        name="failed",
    )
    api.create_automation(
        OnRunMetric(scope=project, filter=RunEvent.metric("loss").gt(1.0))
        >> SendWebhook.from_integration(hook),
        name="loss",
    )
    api.create_automation(OnCreateArtifact(scope=project) >> DoNothing(), name="noted")
    with pytest.raises(ValueError, match="'noted'"):
        api.create_automation(OnCreateArtifact(scope=project) >> DoNothing(), name="noted")
    again = api.create_automation(
        OnCreateArtifact(scope=project) >> DoNothing(), name="noted", fetch_existing=True
    )
    assert again.name == "noted"

    _log("zoo", "seed", aliases=["production"])  # identical content: the alias moves, the event fires
    if embedded:  # the run's finish waited for its deliveries
        assert len(receiver.received) == 1
    [got] = receiver.wait_for(1)
    assert got.signed and got.body == {
        "v": f"{archivist.Api().default_entity}/zoo/seed:production",
        "acc": 0.9,
        "team": "ml",
    }
    deadline = time.monotonic() + 10  # the dispatcher records the answer after the receipt
    while (history := on_prod.history())[0].status is DeliveryStatus.PENDING:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [delivery] = history
    assert delivery.id == got.delivery and delivery.status is DeliveryStatus.FINISHED

    try:
        with archivist.init(project="zoo", name="train") as run:
            run.log({"loss": 0.5})
            run.log({"loss": 2.0})
            run.log({"loss": 3.0})
            raise RuntimeError("diverged")
    except RuntimeError:
        pass
    got = receiver.wait_for(3)
    assert sorted(item.body["event_type"] for item in got[1:]) == ["RUN_METRIC", "RUN_STATE"]
    assert {item.body["run_name"] for item in got[1:]} == {"train"}

    api.update_automation(on_prod, enabled=False)
    assert api.automation("ship").enabled is False
    assert sorted(a.name for a in api.automations()) == ["failed", "loss", "noted", "ship"]
    answer = hook.test()
    assert answer.status_code == 200 and answer.response_start == "ok"
    api.delete_automation(on_prod)
    assert "ship" not in [a.name for a in api.automations()]


def test_scopes_are_the_objects_wandb_uses(archivist_env: Path) -> None:
    Path("weights.txt").write_text("w")
    api = archivist.Api()
    registry = api.registry("model")
    made = api.create_automation(OnLinkArtifact(scope=registry) >> DoNothing(), name="linked")
    assert (made.scope.entity, made.scope.project) == ("organization", "wandb-registry-model")
    _log("zoo", "seed")
    api.artifact(f"{api.default_entity}/zoo/seed:latest").link("wandb-registry-model/best")
    [delivery] = made.history()
    assert (
        delivery.event["artifact_collection_name"] == "best"
        and delivery.event["event_type"] == "LINK_ARTIFACT"
    )
    with pytest.raises(TypeError, match="scope is a collection"):
        api.create_automation(OnCreateArtifact(scope=3.5) >> DoNothing(), name="bad")
