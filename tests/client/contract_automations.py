"""Backend contract: webhooks and automations are saved, listed, changed and deleted; their
secrets are never answered; events write deliveries only for the automations that match
(no-op actions here, so nothing is sent: ``tests/service/test_automation_delivery.py``
sends to a real receiver)."""

from __future__ import annotations

import socket
import time

import pytest

from archivist.core.automations import (
    Action,
    ActionType,
    AutomationRecord,
    DeliveryStatus,
    EventType,
    NewAutomation,
    Scope,
    ScopeType,
    scope_for,
)
from archivist.core.backend import Backend
from archivist.core.errors import ConflictError, InvalidInputError, NotFoundError
from archivist.core.models import RunRef, RunSpec, RunState, VersionUpdate
from archivist.core.registries import ORGANIZATION
from tests.client.artifact_logging import ENTITY, PROJECT, log_text
from tests.client.contract_runs import _dead_pid

URL = "http://127.0.0.9:9/hook"
"""A loopback address the test servers allow (and no one listens on)."""


def _no_op(name: str, event: EventType, scope: Scope | None = None, **fields: object) -> NewAutomation:
    return NewAutomation(name, scope or scope_for(ENTITY, PROJECT), event, Action(ActionType.NO_OP), **fields)  # type: ignore[arg-type]


def _history(backend: Backend, name: str) -> list[str]:
    return [
        d.event["event_type"] + ":" + str(d.event.get("alias") or d.event.get("tag") or "")
        for d in backend.automation_history(ENTITY, name)
    ]


class AutomationContract:
    def test_a_webhook_is_saved_without_showing_its_secrets(self, backend: Backend) -> None:
        made = backend.create_webhook(ENTITY, "deploy", URL, access_token="TOKEN", secrets={"API_KEY": "k"})
        assert made.signing_secret and len(made.signing_secret) == 64  # generated: shown this once
        assert (made.name, made.url, made.has_access_token, made.secret_names) == (
            "deploy",
            URL,
            True,
            ("API_KEY",),
        )
        listed = backend.list_webhooks(ENTITY)
        assert [hook.name for hook in listed] == ["deploy"] and listed[0].signing_secret is None
        assert "TOKEN" not in repr(listed) and "'k'" not in repr(listed)
        given = backend.create_webhook(ENTITY, "given", URL, signing_secret="mine")
        assert given.signing_secret is None and not given.has_access_token
        with pytest.raises(ConflictError, match="'deploy'"):
            backend.create_webhook(ENTITY, "deploy", URL)
        backend.delete_webhook(ENTITY, "given")
        assert [hook.name for hook in backend.list_webhooks(ENTITY)] == ["deploy"]

    @pytest.mark.parametrize(
        ("url", "secrets", "message"),
        [
            ("ftp://127.0.0.9/x", None, "http:// or https://"),
            ("http://user:pw@127.0.0.9/x", None, "without credentials"),
            (URL, {"lower": "x"}, "secret name 'lower'"),
            (URL, {"ACCESS_TOKEN": "x"}, "'ACCESS_TOKEN'"),
            (URL, {"EMPTY": ""}, "'EMPTY'"),
        ],
    )
    def test_bad_webhooks_are_named(
        self, backend: Backend, url: str, secrets: dict[str, str] | None, message: str
    ) -> None:
        with pytest.raises(InvalidInputError, match=message):
            backend.create_webhook(ENTITY, "bad", url, secrets=secrets)
        assert backend.list_webhooks(ENTITY) == []

    def test_create_list_update_and_delete_an_automation(self, backend: Backend) -> None:
        backend.create_webhook(ENTITY, "hook", URL, signing_secret="s", secrets={"KEY": "v"})
        new = NewAutomation(
            "deploy",
            scope_for(ENTITY, PROJECT, "model"),
            EventType.ADD_ARTIFACT_ALIAS,
            Action(ActionType.GENERIC_WEBHOOK, "hook", {"v": "${artifact_version_string}", "k": "$KEY"}),
            {"field": "alias", "op": "eq", "value": "production"},
            "ship it",
        )
        made = backend.create_automation(new)
        assert isinstance(made, AutomationRecord) and made.enabled and made.description == "ship it"
        assert made.scope == Scope(ScopeType.ARTIFACT_COLLECTION, ENTITY, PROJECT, "model")
        assert backend.list_automations(ENTITY) == [made]
        assert backend.list_automations(ENTITY, PROJECT, "model") == [made]
        assert backend.list_automations(ENTITY, PROJECT, "other") == []
        assert backend.list_automations(ENTITY, PROJECT) == []  # collection scopes are the collection's
        with pytest.raises(ConflictError, match="'deploy'"):
            backend.create_automation(new)
        changed = backend.update_automation(
            ENTITY, "deploy", NewAutomation(**{**new.__dict__, "enabled": False})
        )
        assert not changed.enabled and changed.id == made.id
        with pytest.raises(ConflictError, match="'hook' is used by the automations \\['deploy'\\]"):
            backend.delete_webhook(ENTITY, "hook")
        backend.delete_automation(ENTITY, "deploy")
        assert backend.list_automations(ENTITY) == []
        with pytest.raises(NotFoundError, match="'deploy'"):
            backend.automation_history(ENTITY, "deploy")

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"filter": {"field": "alias", "op": "regex", "value": "("}}, "invalid regex"),
            ({"filter": {"field": "colour", "op": "eq", "value": "x"}}, "fields"),
            ({"action": Action(ActionType.GENERIC_WEBHOOK, "absent")}, "webhook 'absent'"),
            (
                {"action": Action(ActionType.GENERIC_WEBHOOK, "hook", {"x": "${nope}"})},
                "unknown payload variable 'nope'",
            ),
            ({"action": Action(ActionType.GENERIC_WEBHOOK, "hook", {"x": "$OTHER"})}, "'OTHER'"),
            ({"name": "a/b"}, "automation name 'a/b'"),
            ({"event_type": "SOMETHING"}, "'SOMETHING'"),
            ({"scope": Scope(ScopeType.ARTIFACT_COLLECTION, ENTITY, PROJECT)}, "a project and a collection"),
            ({"event_type": EventType.RUN_STATE, "scope": scope_for(ENTITY, PROJECT, "c")}, "run events"),
        ],
    )
    def test_bad_automations_are_named(
        self, backend: Backend, change: dict[str, object], message: str
    ) -> None:
        backend.create_webhook(ENTITY, "hook", URL, signing_secret="s")
        fields = {**_no_op("auto", EventType.CREATE_ARTIFACT).__dict__, **change}
        with pytest.raises((InvalidInputError, NotFoundError), match=message):
            backend.create_automation(NewAutomation(**fields))  # type: ignore[arg-type]
        assert backend.list_automations(ENTITY) == []

    def test_events_write_deliveries_for_the_matching_automations_only(self, backend: Backend) -> None:
        backend.create_automation(_no_op("created", EventType.CREATE_ARTIFACT))
        backend.create_automation(
            _no_op("created-here", EventType.CREATE_ARTIFACT, scope_for(ENTITY, PROJECT, "ds"))
        )
        backend.create_automation(
            _no_op("created-elsewhere", EventType.CREATE_ARTIFACT, scope_for(ENTITY, "other"))
        )
        backend.create_automation(_no_op("anywhere", EventType.ADD_ARTIFACT_TAG, scope_for(ENTITY)))
        backend.create_automation(
            _no_op(
                "prod",
                EventType.ADD_ARTIFACT_ALIAS,
                filter={"field": "alias", "op": "regex", "value": "^prod"},
            )
        )
        backend.create_automation(_no_op("removed", EventType.REMOVE_ARTIFACT_ALIAS))
        backend.create_automation(_no_op("off", EventType.CREATE_ARTIFACT, enabled=False))
        first = log_text(backend, "ds", "one", aliases=["staging"], tags=["gold"]).version
        log_text(backend, "other-ds", "two")
        backend.update_version(first.id, VersionUpdate(aliases=["production", "prod-eu"]))
        assert _history(backend, "created") == ["CREATE_ARTIFACT:", "CREATE_ARTIFACT:"]
        assert _history(backend, "created-here") == ["CREATE_ARTIFACT:"]
        assert _history(backend, "created-elsewhere") == [] and _history(backend, "off") == []
        assert _history(backend, "anywhere") == ["ADD_ARTIFACT_TAG:gold"]
        assert sorted(_history(backend, "prod")) == [
            "ADD_ARTIFACT_ALIAS:prod-eu",
            "ADD_ARTIFACT_ALIAS:production",
        ]
        assert _history(backend, "removed") == ["REMOVE_ARTIFACT_ALIAS:staging"]
        done = backend.automation_history(ENTITY, "created")
        assert {d.status for d in done} == {DeliveryStatus.FINISHED} and all(len(d.id) == 32 for d in done)

    def test_unlinking_and_deleting_a_source_fire_unlink(self, backend: Backend) -> None:
        backend.create_automation(_no_op("unlinked", EventType.UNLINK_ARTIFACT, scope_for(ORGANIZATION)))
        first = log_text(backend, "m1", "one", type_name="model").version
        second = log_text(backend, "m2", "two", type_name="model").version
        link = backend.link_version(first.id, "model", "best")
        backend.link_version(second.id, "model", "best")
        backend.delete_version(link.id, delete_aliases=True)  # unlink
        backend.delete_version(second.id, delete_aliases=True)  # its link goes with it
        shown = [
            d.event["artifact_version_string"] for d in backend.automation_history(ORGANIZATION, "unlinked")
        ]
        assert shown == [
            f"{ORGANIZATION}/wandb-registry-model/best:v1",
            f"{ORGANIZATION}/wandb-registry-model/best:v0",
        ]

    def test_a_no_op_delivery_can_be_redelivered(self, backend: Backend) -> None:
        backend.create_automation(_no_op("created", EventType.CREATE_ARTIFACT))
        log_text(backend, "ds", "one")
        [delivery] = backend.automation_history(ENTITY, "created")
        again = backend.redeliver(ENTITY, delivery.id)
        assert again.id == delivery.id
        deadline = time.monotonic() + 20
        while backend.automation_history(ENTITY, "created")[0].status is not DeliveryStatus.FINISHED:
            assert time.monotonic() < deadline, "the redelivery was not made"
            time.sleep(0.1)
        for bad in ("0" * 32, "x", delivery.id + "0"):
            with pytest.raises(NotFoundError, match="delivery"):
                backend.redeliver(ENTITY, bad)
        with pytest.raises(NotFoundError, match="delivery"):
            backend.redeliver("someone-else", delivery.id)

    def test_a_run_found_crashed_fires_run_state(self, backend: Backend) -> None:
        backend.create_automation(
            _no_op(
                "crashed", EventType.RUN_STATE, filter={"field": "run_state", "op": "eq", "value": "crashed"}
            )
        )
        ref = RunRef(ENTITY, PROJECT, "gone")
        backend.upsert_run(RunSpec(ref=ref, name="gone", host=socket.gethostname(), pid=_dead_pid()))
        assert backend.get_run(ref).state is RunState.CRASHED
        assert backend.get_run(ref).state is RunState.CRASHED  # settled once: one event
        [delivery] = backend.automation_history(ENTITY, "crashed")
        assert delivery.event["run_state"] == "crashed" and delivery.event["event_author"] == "archivist"
