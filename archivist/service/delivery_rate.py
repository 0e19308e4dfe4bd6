"""Holding back what one automation would deliver over its rate (``core.delivery_rate``).

Runs inside ``dispatch.claim``'s transaction: of the due deliveries it found, each
automation keeps as many as its window has room for (attempts made in the window and
deliveries leased elsewhere count); the others are not claimed but wait, pending, until
the window allows another (``next_attempt_at``), with the reason in ``hold_reason``.
Replicas claiming at the same moment on PostgreSQL may together exceed the limit by what
each claims in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, func, select, update

from archivist.core.delivery_rate import DeliveryRate
from archivist.metadata.schema import deliveries, delivery_attempts
from archivist.service.timestamps import to_iso


def within_rate(
    connection: Connection, due: Sequence[int], rate: DeliveryRate | None, now: dt.datetime
) -> list[int]:
    """The due deliveries each automation's rate has room for, in ``due``'s order; the
    others wait until their window allows."""
    if rate is None or not due:
        return list(due)
    owners = {
        row.id: row.automation_id
        for row in connection.execute(
            select(deliveries.c.id, deliveries.c.automation_id).where(deliveries.c.id.in_(list(due)))
        )
    }
    room: dict[int, int] = {}
    held: dict[int, list[int]] = {}
    kept = []
    for delivery in due:
        automation = owners[delivery]
        if automation not in room:
            room[automation] = _room(connection, automation, due, rate, now)
        if room[automation] > 0:
            room[automation] -= 1
            kept.append(delivery)
        else:
            held.setdefault(automation, []).append(delivery)
    for automation, waiting in held.items():
        _hold(connection, automation, waiting, rate, now)
    return kept


def _room(
    connection: Connection, automation: int, due: Sequence[int], rate: DeliveryRate, now: dt.datetime
) -> int:
    sent = len(_recent(connection, automation, rate, now))
    elsewhere = connection.execute(
        select(func.count())
        .select_from(deliveries)
        .where(
            deliveries.c.automation_id == automation,
            deliveries.c.lease_expires_at > now,
            deliveries.c.id.not_in(list(due)),
        )
    ).scalar_one()
    return max(0, rate.limit - sent - int(elsewhere))


def _recent(
    connection: Connection, automation: int, rate: DeliveryRate, now: dt.datetime
) -> list[dt.datetime]:
    """When the automation's latest attempts in the window (``rate.limit`` at most) were made,
    newest first."""
    return list(
        connection.execute(
            select(delivery_attempts.c.attempted_at)
            .join(deliveries, deliveries.c.id == delivery_attempts.c.delivery_id)
            .where(
                deliveries.c.automation_id == automation,
                delivery_attempts.c.attempted_at > now - dt.timedelta(seconds=rate.window_seconds),
            )
            .order_by(delivery_attempts.c.attempted_at.desc())
            .limit(rate.limit)
        ).scalars()
    )


def _hold(
    connection: Connection, automation: int, waiting: list[int], rate: DeliveryRate, now: dt.datetime
) -> None:
    recent = _recent(connection, automation, rate, now)
    window = dt.timedelta(seconds=rate.window_seconds)
    # the window has room again once the oldest of the last ``limit`` attempts leaves it
    until = recent[-1] + window if len(recent) >= rate.limit else now + window / rate.limit
    connection.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(waiting))
        .values(
            next_attempt_at=until,
            hold_reason=f"rate limit of this automation ({rate.describe()}): waiting until {to_iso(until)}",
        )
    )
