"""Automations deliver to a real HTTP receiver on loopback that verifies every signature:
on the embedded store and on a server over PostgreSQL. Each event fires exactly the
automations whose scope and filter match; the payload renders every variable; retries,
a receiver that is down for a while, final 4xx answers, redelivery, and a change that rolls
back sending nothing."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from archivist.client.http import HttpBackend
from archivist.core.automations import Action, ActionType, DeliveryStatus, EventType, NewAutomation, scope_for
from archivist.core.backend import Backend
from archivist.core.errors import InvalidInputError
from archivist.core.models import RunRef, RunSpec, RunUpdate, VersionUpdate
from archivist.core.registries import ORGANIZATION, LinkOrigin
from archivist.core.settings import Settings
from archivist.service.dispatch import DeliveryPolicy
from archivist.service.dispatcher import Dispatcher
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import ENTITY, PROJECT, log_text
from tests.fixtures.archivist_server import (
    ADMIN_KEY,
    ServerProcess,
    archivist_server,
    data_engine,
    reset_store,
)
from tests.fixtures.webhook_receiver import Receiver
from tests.metadata.postgres import temporary_database

SECRET = "receiver-secret"
SERVER_ENV = {
    "ARCHIVIST_ALLOW_PRIVATE_WEBHOOKS": "1",  # the receiver is on loopback
    "ARCHIVIST_DELIVERY_BACKOFF": "0.1",
    "ARCHIVIST_DELIVERY_LEASE": "5",
}
MODELS = f"{ORGANIZATION}/wandb-registry-model"


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("automation-server")
    with (
        temporary_database() as url,
        archivist_server(url, root / "blobs", root / "server.log", env=SERVER_ENV) as s,
    ):
        yield s


@pytest.fixture(scope="module")
def pg_engine(pg_server: ServerProcess) -> Iterator[Engine]:
    engine = data_engine(pg_server.db_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["embedded", "server-pg"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "embedded":
        local = LocalBackend(Settings.from_env({"ARCHIVIST_DIR": str(tmp_path / "home")}))
        local.dispatcher = Dispatcher(
            local.engine, local.urls, DeliveryPolicy(backoff_seconds=0.1), poll_seconds=0.1
        )
        yield local
        local.close()
        return
    server: ServerProcess = request.getfixturevalue("pg_server")
    reset_store(request.getfixturevalue("pg_engine"), Path(server.store))
    client = HttpBackend(server.url, ADMIN_KEY)
    yield client
    client.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(SECRET).start()
    yield running
    running.stop()


def _hook(backend: Backend, receiver: Receiver, **fields: Any) -> None:
    backend.create_webhook(ENTITY, "hook", receiver.url, signing_secret=SECRET, **fields)


def _auto(
    backend: Backend, name: str, event: EventType, scope: Any = None, filter: Any = None, payload: Any = None
) -> None:
    template = payload or {
        "automation": name,
        "event": "${event_type}",
        "alias": "${alias}",
        "tag": "${tag}",
        "run": "${run_name}",
        "version": "${artifact_version_string}",
    }
    action = Action(ActionType.GENERIC_WEBHOOK, "hook", template)
    entity = scope.entity if scope is not None else ENTITY
    if entity != ENTITY and not any(h.name == "hook" for h in backend.list_webhooks(entity)):
        backend.create_webhook(entity, "hook", backend.list_webhooks(ENTITY)[0].url, signing_secret=SECRET)
    backend.create_automation(
        NewAutomation(name, scope or scope_for(ENTITY, PROJECT), event, action, filter or {})
    )


def _settle(backend: Backend, receiver: Receiver, count: int) -> list[Any]:
    """What arrived once ``count`` requests did and nothing more came for a moment."""
    got = receiver.wait_for(count)
    time.sleep(0.8)
    got = list(receiver.received)
    assert all(item.signed for item in got)
    return got


def _settled_history(backend: Backend, automation: str) -> list[Any]:
    """The automation's deliveries once none is pending: the dispatcher records an answer
    just after the receiver has it."""
    deadline = time.monotonic() + 20
    while True:
        history = backend.automation_history(ENTITY, automation)
        if not any(d.status is DeliveryStatus.PENDING for d in history):
            return history
        assert time.monotonic() < deadline, history
        time.sleep(0.05)


def test_each_event_fires_exactly_the_matching_automations(backend: Backend, receiver: Receiver) -> None:
    _hook(backend, receiver)
    _auto(backend, "new-ds", EventType.CREATE_ARTIFACT, scope_for(ENTITY, PROJECT, "ds"))
    _auto(backend, "new-any", EventType.CREATE_ARTIFACT)
    _auto(backend, "new-elsewhere", EventType.CREATE_ARTIFACT, scope_for(ENTITY, "other"))
    _auto(backend, "link", EventType.LINK_ARTIFACT, scope_for(ORGANIZATION, "wandb-registry-model"))
    _auto(backend, "unlink", EventType.UNLINK_ARTIFACT, scope_for(ORGANIZATION))
    _auto(
        backend,
        "alias-prod",
        EventType.ADD_ARTIFACT_ALIAS,
        filter={"field": "alias", "op": "eq", "value": "production"},
    )
    _auto(
        backend,
        "alias-re",
        EventType.ADD_ARTIFACT_ALIAS,
        filter={"field": "alias", "op": "regex", "value": "^stag"},
    )
    _auto(backend, "alias-removed", EventType.REMOVE_ARTIFACT_ALIAS, scope_for(ENTITY))
    _auto(backend, "tag-added", EventType.ADD_ARTIFACT_TAG)
    _auto(
        backend,
        "tag-removed",
        EventType.REMOVE_ARTIFACT_TAG,
        filter={"field": "tag", "op": "eq", "value": "gold"},
    )
    _auto(
        backend,
        "run-failed",
        EventType.RUN_STATE,
        filter={"field": "run_state", "op": "in", "value": ["failed"]},
    )
    _auto(
        backend,
        "run-train",
        EventType.RUN_STATE,
        filter={"field": "run_name", "op": "regex", "value": "^train"},
    )
    metric = {"name": "loss", "agg": "MAX", "window": 1, "cmp": ">", "threshold": 1.0}
    _auto(backend, "loss-high", EventType.RUN_METRIC, filter={"metric": metric})
    change = {
        "name": "acc",
        "agg": "AVERAGE",
        "window": 2,
        "prior_window": 2,
        "change_type": "ABSOLUTE",
        "change_dir": "INCREASE",
        "threshold": 0.2,
    }
    _auto(backend, "acc-up", EventType.RUN_METRIC_CHANGE, filter={"metric_change": change})

    version = log_text(
        backend, "ds", "one", type_name="model", aliases=["staging"], tags=["gold", "blue"]
    ).version
    log_text(
        backend, "ds", "one", type_name="model", aliases=["staging"]
    )  # identical content: no new version, nothing new
    backend.update_version(version.id, VersionUpdate(aliases=["production"], tags=["blue"]))
    link = backend.link_version(version.id, "model", "best")
    backend.delete_version(link.id, delete_aliases=True)
    for run_id, name, state in (
        ("r1", "train-1", "failed"),
        ("r2", "eval-1", "finished"),
        ("r3", "eval-2", "killed"),
    ):
        ref = RunRef(ENTITY, PROJECT, run_id)
        backend.upsert_run(RunSpec(ref=ref, name=name))
        backend.update_run(ref, RunUpdate(state=state))
    ref = RunRef(ENTITY, PROJECT, "r4")
    backend.upsert_run(RunSpec(ref=ref, name="metrics"))
    for step, (loss, acc) in enumerate(
        [(0.5, 0.1), (0.7, 0.1), (1.5, 0.1), (2.0, 0.4), (3.0, 0.5), (0.1, 0.9)]
    ):
        backend.append_history(ref, [{"_step": step, "loss": loss, "acc": acc}])

    expected = Counter(
        [
            ("new-ds", "CREATE_ARTIFACT", ""),
            ("new-any", "CREATE_ARTIFACT", ""),
            ("alias-re", "ADD_ARTIFACT_ALIAS", "staging"),
            ("tag-added", "ADD_ARTIFACT_TAG", "gold"),
            ("tag-added", "ADD_ARTIFACT_TAG", "blue"),
            ("alias-prod", "ADD_ARTIFACT_ALIAS", "production"),
            ("alias-removed", "REMOVE_ARTIFACT_ALIAS", "staging"),
            ("tag-removed", "REMOVE_ARTIFACT_TAG", "gold"),
            ("link", "LINK_ARTIFACT", ""),
            ("unlink", "UNLINK_ARTIFACT", ""),
            ("run-failed", "RUN_STATE", "train-1"),
            ("run-train", "RUN_STATE", "train-1"),
            ("loss-high", "RUN_METRIC", "metrics"),
            ("acc-up", "RUN_METRIC_CHANGE", "metrics"),
        ]
    )
    got = _settle(backend, receiver, sum(expected.values()))
    seen = Counter(
        (r.body["automation"], r.body["event"], r.body["alias"] or r.body["tag"] or r.body["run"] or "")
        for r in got
    )
    assert seen == expected
    assert len({r.delivery for r in got}) == len(got)


def test_the_payload_renders_every_variable(backend: Backend, receiver: Receiver) -> None:
    _hook(backend, receiver, access_token="the-token", secrets={"API_KEY": "k-123"})
    names = [
        "event_type",
        "event_author",
        "entity_name",
        "project_name",
        "artifact_collection_name",
        "artifact_version",
        "artifact_version_string",
        "alias",
        "tag",
    ]
    template = {name: f"${{{name}}}" for name in names}
    template.update(
        acc="${artifact_metadata.acc}",
        nested="${artifact_metadata.config}",
        missing="${artifact_metadata.nope}",
        text="v=${artifact_metadata.acc}; key=$API_KEY",
        token="${ACCESS_TOKEN}",
    )
    _auto(backend, "all", EventType.ADD_ARTIFACT_ALIAS, payload=template)
    version = log_text(
        backend, "ds", "x", metadata={"acc": 0.93, "config": {"lr": 0.1}}, aliases=["prod"]
    ).version
    [got] = _settle(backend, receiver, 1)
    author = backend.default_entity()
    assert got.body == {
        "event_type": "ADD_ARTIFACT_ALIAS",
        "event_author": author,
        "entity_name": ENTITY,
        "project_name": PROJECT,
        "artifact_collection_name": "ds",
        "artifact_version": f"wandb-artifact://_id/{version.id}",
        "artifact_version_string": f"{ENTITY}/{PROJECT}/ds:prod",
        "alias": "prod",
        "tag": None,
        "acc": 0.93,
        "nested": {"lr": 0.1},
        "missing": None,
        "text": "v=0.93; key=k-123",
        "token": "the-token",
    }
    assert got.headers["Authorization"] == "Bearer the-token"
    assert got.headers["X-Archivist-Event"] == "ADD_ARTIFACT_ALIAS"
    [delivery] = _settled_history(backend, "all")
    assert delivery.id == got.delivery and delivery.status is DeliveryStatus.FINISHED


def test_500_500_200_is_delivered_with_two_recorded_failures(backend: Backend, receiver: Receiver) -> None:
    _hook(backend, receiver)
    _auto(backend, "flaky", EventType.CREATE_ARTIFACT)
    receiver.answers = [500, 500]
    log_text(backend, "ds", "x")
    [got] = _settle(backend, receiver, 1)
    [delivery] = _settled_history(backend, "flaky")
    assert delivery.id == got.delivery and delivery.status is DeliveryStatus.FINISHED
    assert [a.status_code for a in delivery.attempts] == [500, 500, 200]
    assert [a.error for a in delivery.attempts] == ["HTTP 500", "HTTP 500", None]
    assert delivery.attempts[0].response_start == "try again" and delivery.attempts[2].response_start == "ok"
    assert all(a.duration_ms >= 0 for a in delivery.attempts)


def test_a_receiver_down_for_a_while_gets_everything_once_back(backend: Backend, receiver: Receiver) -> None:
    _hook(backend, receiver)
    _auto(backend, "each", EventType.CREATE_ARTIFACT)
    receiver.stop()
    for number in range(5):
        log_text(backend, f"ds-{number}", "x")
    deadline = time.monotonic() + 20  # until each delivery's first attempt is recorded, refused
    history = backend.automation_history(ENTITY, "each")
    while len(history) < 5 or not all(d.attempts for d in history):
        assert time.monotonic() < deadline, history
        time.sleep(0.05)
        history = backend.automation_history(ENTITY, "each")
    assert len(history) == 5 and all(d.attempts[0].status_code is None for d in history)
    assert all("ConnectError" in (d.attempts[0].error or "") for d in history)
    receiver.start()  # the same port
    got = _settle(backend, receiver, 5)
    assert sorted(r.delivery for r in got) == sorted(d.id for d in history)


def test_a_final_answer_fails_and_can_be_redelivered(backend: Backend, receiver: Receiver) -> None:
    _hook(backend, receiver)
    _auto(backend, "once", EventType.CREATE_ARTIFACT)
    receiver.answers = [404]
    log_text(backend, "ds", "x")
    [failed] = _settled_history(backend, "once")
    assert failed.status is DeliveryStatus.FAILED and [a.status_code for a in failed.attempts] == [404]
    assert receiver.received == []
    backend.redeliver(ENTITY, failed.id)
    [got] = _settle(backend, receiver, 1)
    assert got.delivery == failed.id
    [done] = _settled_history(backend, "once")
    assert done.status is DeliveryStatus.FINISHED and [a.status_code for a in done.attempts] == [404, 200]


def test_a_disabled_automation_sends_nothing(backend: Backend, receiver: Receiver) -> None:
    _hook(backend, receiver)
    _auto(backend, "quiet", EventType.CREATE_ARTIFACT)
    [record] = backend.list_automations(ENTITY)
    backend.update_automation(
        ENTITY,
        "quiet",
        NewAutomation(
            record.name, record.scope, record.event_type, record.action, record.filter, enabled=False
        ),
    )
    log_text(backend, "ds", "x")
    assert _settle(backend, receiver, 0) == [] and backend.automation_history(ENTITY, "quiet") == []


def test_a_change_that_rolls_back_sends_nothing(backend: Backend, receiver: Receiver) -> None:
    _hook(backend, receiver)
    backend.create_registry("sets", "organization", artifact_types=["dataset"])
    _auto(backend, "linked", EventType.LINK_ARTIFACT, scope_for(ORGANIZATION))
    version = log_text(backend, "ds", "x").version
    with pytest.raises(InvalidInputError, match="link origin"):  # refused after the link was written
        backend.link_version(version.id, "sets", "golden", origin=LinkOrigin(ENTITY, PROJECT))
    assert _settle(backend, receiver, 0) == [] and backend.automation_history(ORGANIZATION, "linked") == []
    backend.link_version(version.id, "sets", "golden")
    [got] = _settle(backend, receiver, 1)
    assert got.body["automation"] == "linked"
