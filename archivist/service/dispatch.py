"""Delivering the outbox: claim due deliveries with a lease, send each signed request,
record the attempt, and schedule a retry or finish.

Claims run in one short write transaction: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
replicas claim different rows at once; on SQLite the transaction's ``BEGIN IMMEDIATE``
serialises them. A claimed row is leased to its dispatcher until ``lease_expires_at``; a
dispatcher that dies leaves it to whichever claims it after that. Retries (timeouts,
connection errors, 429, 5xx) wait ``backoff * 2**(attempt-1)`` seconds, up to
``max_attempts``; other answers are final. At least once: a dispatcher killed after the
receiver answered but before it recorded the answer sends again (same delivery id).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from archivist.core.automations import ActionType, AttemptRecord, DeliveryStatus
from archivist.core.delivery_rate import DEFAULT_RATE, DeliveryRate
from archivist.core.errors import ArchivistError
from archivist.core.payload_templates import render
from archivist.core.webhook_signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from archivist.metadata.engine import write_transaction
from archivist.metadata.schema import automations, deliveries, delivery_attempts, webhooks
from archivist.service.delivery_rate import within_rate
from archivist.service.timestamps import to_iso, utc_now
from archivist.service.webhook_urls import Target, UrlPolicy, target_of
from archivist.service.webhooks import secrets_of

if TYPE_CHECKING:
    import httpx

RESPONSE_START = 1024
"""How much of a receiver's answer an attempt keeps."""
USER_AGENT = "Archivist-Webhooks/1"


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 600.0
    timeout_seconds: float = 10.0
    lease_seconds: float = 60.0
    """Longer than a request may take: a row is another dispatcher's only once this passed."""
    batch: int = 16
    rate: DeliveryRate | None = DEFAULT_RATE
    """How many attempts one automation may make per window (``None``: no limit)."""


@dataclass(frozen=True)
class Outcome:
    attempt: AttemptRecord
    retry: bool


def claim(engine: Engine, owner: str, policy: DeliveryPolicy) -> list[int]:
    """Lease up to ``policy.batch`` due deliveries to ``owner``; their ids. Those over
    their automation's rate are held back instead (``delivery_rate``)."""
    now = utc_now()
    with write_transaction(engine) as connection:
        due = (
            connection.execute(
                select(deliveries.c.id)
                .where(
                    deliveries.c.status == DeliveryStatus.PENDING.value,
                    deliveries.c.next_attempt_at <= now,
                    deliveries.c.lease_expires_at.is_(None) | (deliveries.c.lease_expires_at < now),
                )
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                .limit(policy.batch)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        due = within_rate(connection, due, policy.rate, now)
        if due:
            connection.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(due))
                .values(lease_owner=owner, lease_expires_at=now + dt.timedelta(seconds=policy.lease_seconds))
            )
        return list(due)


def _load(connection: Connection, delivery_id: int) -> tuple[Row[Any], Row[Any], Row[Any] | None]:
    delivery = connection.execute(select(deliveries).where(deliveries.c.id == delivery_id)).one()
    automation = connection.execute(
        select(automations).where(automations.c.id == delivery.automation_id)
    ).one()
    webhook = None
    if automation.webhook_id is not None:
        webhook = connection.execute(select(webhooks).where(webhooks.c.id == automation.webhook_id)).one()
    return delivery, automation, webhook


def request_of(
    delivery_id: str, variables: dict[str, Any], template: Any, webhook: Row[Any], now: float
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a delivery's request."""
    secrets = secrets_of(webhook)
    payload = variables if template is None else render(template, variables, secrets)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    stamp = str(int(now))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(webhook.signing_secret, stamp, body),
        "X-Archivist-Event": str(variables.get("event_type", "")),
    }
    if webhook.access_token is not None:
        headers["Authorization"] = f"Bearer {webhook.access_token}"
    return body, headers


def send(client: httpx.Client, url: str, body: bytes, headers: dict[str, str], urls: UrlPolicy) -> Outcome:
    """One attempt: POST the body; whether to try again."""
    import httpx  # here: a process that writes no delivery never needs it

    started = time.monotonic()
    at = to_iso(utc_now())

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = target_of(url, urls)
        answer = client.post(
            target.url, content=body, headers=_pinned(headers, target), extensions=_tls(target)
        )
    except ArchivistError as error:
        return Outcome(AttemptRecord(at, None, took(), None, str(error)), retry=False)
    except httpx.TransportError as error:
        return Outcome(AttemptRecord(at, None, took(), None, f"{type(error).__name__}: {error}"), retry=True)
    code = answer.status_code
    start = answer.text[:RESPONSE_START]
    retry = code == 429 or code >= 500
    failed = None if 200 <= code < 300 else f"HTTP {code}"
    return Outcome(AttemptRecord(at, code, took(), start, failed), retry=retry)


def _pinned(headers: dict[str, str], target: Target) -> dict[str, str]:
    if target.host_header is None:
        return headers
    pinned = {**headers, "Host": target.host_header}
    if target.server_name is not None:
        # a pooled TLS connection to this IP may have been verified for another name
        pinned["Connection"] = "close"
    return pinned


def _tls(target: Target) -> dict[str, Any]:
    """Verify the certificate for the URL's name although the connection is to its IP."""
    return {} if target.server_name is None else {"sni_hostname": target.server_name}


def deliver(
    engine: Engine,
    client: httpx.Client,
    delivery_pk: int,
    owner: str,
    policy: DeliveryPolicy,
    urls: UrlPolicy,
) -> AttemptRecord | None:
    """Attempt one claimed delivery and record what happened."""
    with write_transaction(engine) as connection:
        delivery, automation, webhook = _load(connection, delivery_pk)
    if delivery.lease_owner != owner or delivery.status != DeliveryStatus.PENDING.value:
        return None
    if automation.action_type != ActionType.GENERIC_WEBHOOK.value or webhook is None:
        outcome = Outcome(AttemptRecord(to_iso(utc_now()), None, 0, None, None), retry=False)
    else:
        body, headers = request_of(
            delivery.public_id, dict(delivery.event), automation.payload, webhook, time.time()
        )
        outcome = send(client, webhook.url, body, headers, urls)
    _record(engine, delivery_pk, delivery.attempts + 1, outcome, policy)
    return outcome.attempt


def _record(
    engine: Engine, delivery_pk: int, attempts: int, outcome: Outcome, policy: DeliveryPolicy
) -> None:
    attempt = outcome.attempt
    ok = attempt.error is None
    again = not ok and outcome.retry and attempts < policy.max_attempts
    now = utc_now()
    wait = min(policy.max_backoff_seconds, policy.backoff_seconds * 2 ** (attempts - 1))
    status = DeliveryStatus.FINISHED if ok else DeliveryStatus.PENDING if again else DeliveryStatus.FAILED
    with write_transaction(engine) as connection:
        connection.execute(
            insert(delivery_attempts).values(
                delivery_id=delivery_pk,
                attempted_at=dt.datetime.fromisoformat(attempt.attempted_at),
                status_code=attempt.status_code,
                duration_ms=attempt.duration_ms,
                response_start=attempt.response_start,
                error=attempt.error,
            )
        )
        connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_pk)
            .values(
                status=status.value,
                attempts=attempts,
                next_attempt_at=now + dt.timedelta(seconds=wait) if again else None,
                lease_owner=None,
                lease_expires_at=None,
                hold_reason=None,
                finished_at=None if again else now,
            )
        )
