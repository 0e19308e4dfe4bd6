"""``archivist webhook ...`` and ``archivist automation ...``: webhooks, automations, their
delivery history, redelivery, and a standalone dispatcher (``automation worker``)."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from archivist.cli.console import output_console
from archivist.cli.table_output import print_json, render_table
from archivist.core.errors import InvalidInputError


def _backend_and_entity(entity: str | None) -> tuple[Any, str]:
    from archivist.core.names import validate_entity
    from archivist.sdk.context import get_context

    context = get_context()
    return context.backend, validate_entity(entity) if entity else context.entity


def _to_json(record: Any) -> Any:
    from archivist.core.models import to_dict

    return to_dict(record)


@click.group("webhook")
def webhook_group() -> None:
    """Webhooks an entity's automations send to (their secrets are never shown again)."""


@webhook_group.command("create")
@click.argument("name")
@click.argument("url")
@click.option("--entity", help="The entity (default: yours).")
@click.option(
    "--signing-secret", help="The HMAC secret requests are signed with (default: a new one, shown once)."
)
@click.option("--access-token", help="Sent as 'Authorization: Bearer ...' and usable as ${ACCESS_TOKEN}.")
@click.option("--secret", "secrets", multiple=True, metavar="NAME=VALUE", help="A secret usable as ${NAME}.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def webhook_create_command(
    name: str,
    url: str,
    entity: str | None,
    signing_secret: str | None,
    access_token: str | None,
    secrets: tuple[str, ...],
    as_json: bool,
) -> None:
    """Save webhook NAME that POSTs to URL."""
    named = {}
    for item in secrets:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"--secret {item!r}: use NAME=VALUE")
        named[key] = value
    backend, entity = _backend_and_entity(entity)
    made = backend.create_webhook(entity, name, url, signing_secret, access_token, named or None)
    if as_json:
        print_json(_to_json(made))
        return
    click.echo(f"Created webhook {entity}/{made.name} -> {made.url}")
    if made.signing_secret:
        click.echo(f"Signing secret (shown this once): {made.signing_secret}")


@webhook_group.command("ls")
@click.argument("entity", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def webhook_ls_command(entity: str | None, as_json: bool) -> None:
    """List the webhooks of ENTITY (default: yours)."""
    backend, entity = _backend_and_entity(entity)
    hooks = backend.list_webhooks(entity)
    if as_json:
        print_json([_to_json(hook) for hook in hooks])
        return
    if not hooks:
        click.echo(f"No webhooks in entity {entity}.")
        return
    rows = [(h.name, h.url, "yes" if h.has_access_token else "no", ", ".join(h.secret_names)) for h in hooks]
    render_table(("WEBHOOK", "URL", "TOKEN", "SECRETS"), rows, entity, output_console())


@webhook_group.command("rm")
@click.argument("name")
@click.option("--entity", help="The entity (default: yours).")
def webhook_rm_command(name: str, entity: str | None) -> None:
    """Delete webhook NAME (no automation may use it)."""
    backend, entity = _backend_and_entity(entity)
    backend.delete_webhook(entity, name)
    click.echo(f"Deleted webhook {entity}/{name}")


@webhook_group.command("test")
@click.argument("name")
@click.option("--entity", help="The entity (default: yours).")
def webhook_test_command(name: str, entity: str | None) -> None:
    """Send a signed sample request to webhook NAME and show the answer."""
    backend, entity = _backend_and_entity(entity)
    attempt = backend.test_webhook(entity, name)
    if attempt.error is None:
        click.echo(f"{attempt.status_code} in {attempt.duration_ms} ms: {attempt.response_start or ''}")
        return
    raise InvalidInputError(f"webhook {name!r} test failed: {attempt.error} ({attempt.response_start or ''})")


@click.group("automation")
def automation_group() -> None:
    """Automations: an event in a scope triggers a webhook (SPEC §8)."""


def parse_scope(text: str) -> Any:
    """``entity``, ``entity/project``, ``entity/project/collection`` or ``registry:NAME``."""
    from archivist.core.automations import scope_for
    from archivist.core.registries import ORGANIZATION, REGISTRY_PREFIX

    if text.startswith("registry:"):
        return scope_for(ORGANIZATION, REGISTRY_PREFIX + text.split(":", 1)[1])
    parts = text.split("/")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise click.UsageError(
            f"--scope {text!r}: use ENTITY, ENTITY/PROJECT, ENTITY/PROJECT/COLLECTION or registry:NAME"
        )
    return scope_for(*parts)


EVENT_NAMES = (
    "CREATE_ARTIFACT",
    "LINK_ARTIFACT",
    "UNLINK_ARTIFACT",
    "ADD_ARTIFACT_ALIAS",
    "REMOVE_ARTIFACT_ALIAS",
    "ADD_ARTIFACT_TAG",
    "REMOVE_ARTIFACT_TAG",
    "RUN_STATE",
    "RUN_METRIC",
    "RUN_METRIC_CHANGE",
)


@automation_group.command("create")
@click.argument("name")
@click.option(
    "--event", required=True, type=click.Choice(EVENT_NAMES, case_sensitive=False), help="What triggers it."
)
@click.option(
    "--scope",
    "scope_text",
    required=True,
    help="ENTITY, ENTITY/PROJECT, ENTITY/PROJECT/COLLECTION or registry:NAME.",
)
@click.option("--webhook", help="The webhook to POST to (of the scope's entity); without it: no-op.")
@click.option("--payload", help="A JSON payload template (${artifact_version_string}, ...).")
@click.option(
    "--filter", "filter_text", help='A JSON filter, e.g. {"field": "alias", "op": "eq", "value": "prod"}.'
)
@click.option("--description", help="What it is for.")
@click.option("--disabled", is_flag=True, help="Save it disabled.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def automation_create_command(
    name: str,
    event: str,
    scope_text: str,
    webhook: str | None,
    payload: str | None,
    filter_text: str | None,
    description: str | None,
    disabled: bool,
    as_json: bool,
) -> None:
    """Save automation NAME."""
    from archivist.core.automations import Action, ActionType, EventType, NewAutomation

    scope = parse_scope(scope_text)
    action = (
        Action(ActionType.GENERIC_WEBHOOK, webhook, _json(payload, "--payload"))
        if webhook
        else Action(ActionType.NO_OP)
    )
    new = NewAutomation(
        name,
        scope,
        EventType(event.upper()),
        action,
        _json(filter_text, "--filter") or {},
        description,
        not disabled,
    )
    backend, _ = _backend_and_entity(scope.entity)
    made = backend.create_automation(new)
    if as_json:
        print_json(_to_json(made))
        return
    click.echo(f"Created automation {made.name}: {made.event_type.value} on {made.scope.label}")


def _json(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise click.UsageError(f"{option} is JSON: {error}") from None


@automation_group.command("ls")
@click.option("--entity", help="The entity (default: yours).")
@click.option("--project", help="Only those whose scope holds this project.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def automation_ls_command(entity: str | None, project: str | None, as_json: bool) -> None:
    """List automations with their last delivery."""
    backend, entity = _backend_and_entity(entity)
    found = backend.list_automations(entity, project)
    if as_json:
        print_json([_to_json(a) for a in found])
        return
    if not found:
        click.echo(f"No automations in entity {entity}.")
        return
    rows = [
        (
            a.name,
            a.event_type.value,
            a.scope.label,
            a.action.webhook or "(no-op)",
            "yes" if a.enabled else "no",
            a.last_delivery_at or "-",
        )
        for a in found
    ]
    render_table(
        ("AUTOMATION", "EVENT", "SCOPE", "WEBHOOK", "ENABLED", "LAST"), rows, entity, output_console()
    )


@automation_group.command("history")
@click.argument("name")
@click.option("--entity", help="The entity (default: yours).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def automation_history_command(name: str, entity: str | None, limit: int, as_json: bool) -> None:
    """The deliveries of automation NAME, newest first, with each attempt."""
    backend, entity = _backend_and_entity(entity)
    history = backend.automation_history(entity, name, limit)
    if as_json:
        print_json([_to_json(d) for d in history])
        return
    if not history:
        click.echo(f"Automation {name} has no deliveries yet.")
        return
    rows = []
    for d in history:
        last = d.attempts[-1] if d.attempts else None
        answer = (
            "-" if last is None else (str(last.status_code) if last.status_code else (last.error or "")[:40])
        )
        if d.hold_reason:
            answer = d.hold_reason[:60]
        rows.append(
            (d.id, d.created_at[:19], d.event_type.value, d.status.value, str(len(d.attempts)), answer)
        )
    render_table(
        ("DELIVERY", "CREATED", "EVENT", "STATUS", "ATTEMPTS", "LAST ANSWER"), rows, name, output_console()
    )


@automation_group.command("redeliver")
@click.argument("delivery_id")
@click.option("--entity", help="The entity (default: yours).")
def automation_redeliver_command(delivery_id: str, entity: str | None) -> None:
    """Send delivery DELIVERY_ID again (same delivery id, a fresh budget of attempts)."""
    backend, entity = _backend_and_entity(entity)
    backend.redeliver(entity, delivery_id)
    click.echo(f"Redelivering {delivery_id} (the same delivery id, a fresh budget of attempts)")


def _set_enabled(name: str, entity: str | None, enabled: bool) -> None:
    from archivist.core.automations import NewAutomation

    backend, entity = _backend_and_entity(entity)
    found = [a for a in backend.list_automations(entity) if a.name == name]
    if not found:
        raise InvalidInputError(f"automation {name!r} of entity {entity!r} not found")
    a = found[0]
    backend.update_automation(
        entity, name, NewAutomation(a.name, a.scope, a.event_type, a.action, a.filter, a.description, enabled)
    )
    click.echo(f"{'Enabled' if enabled else 'Disabled'} automation {name}")


@automation_group.command("enable")
@click.argument("name")
@click.option("--entity", help="The entity (default: yours).")
def automation_enable_command(name: str, entity: str | None) -> None:
    """Enable automation NAME."""
    _set_enabled(name, entity, True)


@automation_group.command("disable")
@click.argument("name")
@click.option("--entity", help="The entity (default: yours).")
def automation_disable_command(name: str, entity: str | None) -> None:
    """Disable automation NAME (events are not recorded for it meanwhile)."""
    _set_enabled(name, entity, False)


@automation_group.command("worker")
@click.option("--db", "db_url", help="A server's database (default: the embedded store in ARCHIVIST_DIR).")
@click.option("--allow-private-webhooks", is_flag=True, help="With --db: send to private addresses too.")
@click.option(
    "--automation-rate",
    default=None,
    help="Deliveries one automation may make per window, e.g. 60/min, off "
    "[default: ARCHIVIST_AUTOMATION_RATE, else 60/min].",
)
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def automation_worker_command(
    db_url: str | None, allow_private_webhooks: bool, automation_rate: str | None, once: bool
) -> None:
    """Deliver automations on its own, beside (or instead of) servers and UIs."""
    import os

    import httpx

    from archivist.core.delivery_rate import rate_from_text
    from archivist.core.settings import Settings
    from archivist.metadata.migrate import open_engine
    from archivist.service.dispatch import DeliveryPolicy
    from archivist.service.dispatcher import Dispatcher
    from archivist.service.embedded import DATABASE_FILE
    from archivist.service.webhook_urls import UrlPolicy

    rate_text = automation_rate or os.environ.get("ARCHIVIST_AUTOMATION_RATE") or "60/min"
    rate = rate_from_text(rate_text, "--automation-rate" if automation_rate else "ARCHIVIST_AUTOMATION_RATE")
    if db_url is None:
        db_url = f"sqlite:///{os.path.join(Settings.from_env().home, DATABASE_FILE)}"
        urls = UrlPolicy.everywhere()
    else:
        urls = UrlPolicy(allow_private=allow_private_webhooks)
    dispatcher = Dispatcher(open_engine(db_url), urls, DeliveryPolicy(rate=rate))
    if once:
        with httpx.Client(timeout=dispatcher.policy.timeout_seconds, follow_redirects=False) as client:
            click.echo(f"Made {dispatcher.run_once(client)} delivery attempts")
        return
    click.echo("Delivering automations (Ctrl-C to stop)")
    dispatcher.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        dispatcher.stop()
