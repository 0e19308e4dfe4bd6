"""Time travel and history over a big registry collection, on SQLite and PostgreSQL.
``python benchmarks/registry_history.py [--versions 10000] [--events 100000] [--postgres URL]``.

One registry collection (``model/clf``) gets ``--versions`` links and ``--events`` audit
events (each link, each ``latest`` move, and alias moves of four aliases spread over the
links' timeline). The links are made through the service once and then copied in bulk
(the queries are what is measured, not the making). Then, through the Service:

- as-of: ``resolve_version_as_of(..., "production", T)`` at random moments, and ``vN`` as of T;
- the filtered version listing ``list_versions(filter={metadata.accuracy >= 0.95, framework
  == torch}, limit=50)`` and a history page of one alias (first and a deep one);
- baselines measured in the same run: ``resolve_version`` of the alias now, and the
  unfiltered first page of versions.

Each query's SQL is captured as it runs and its plan printed (``EXPLAIN QUERY PLAN`` on
SQLite, ``EXPLAIN`` on PostgreSQL), to show it is answered from the indexes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from sqlalchemy import Engine, event, insert, select, text, update  # noqa: E402

from archivist.core.models import VersionQuery  # noqa: E402
from archivist.core.registries import ORGANIZATION  # noqa: E402
from archivist.metadata.migrate import open_engine  # noqa: E402
from archivist.metadata.schema import aliases, artifact_events, collections, versions  # noqa: E402
from archivist.service.service import Service  # noqa: E402
from archivist.storage.local import LocalBlobStore  # noqa: E402
from tests.client.artifact_logging import log_text  # noqa: E402

PROJECT = "wandb-registry-model"
COLLECTION = "clf"
MOVED = ("production", "staging", "candidate", "champion")
START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
STEP = dt.timedelta(minutes=10)
BATCH = 5000


def build(service: Service, version_count: int, event_count: int, seed: int = 7) -> None:
    """The collection with ``version_count`` links and ``event_count`` events in all."""
    source = log_text(service, "weights", "the weights", type_name="model").version
    first = service.link_version(source.id, "model", COLLECTION)
    rng = random.Random(seed)
    with service.engine.begin() as connection:
        template = connection.execute(select(versions).where(versions.c.id == int(first.id))).one()._asdict()
        collection_id = template["collection_id"]
        project_id = connection.execute(
            select(collections.c.project_id).where(collections.c.id == collection_id)
        ).scalar_one()
        connection.execute(artifact_events.delete().where(artifact_events.c.collection_id == collection_id))
        connection.execute(aliases.delete().where(aliases.c.collection_id == collection_id))
        connection.execute(versions.delete().where(versions.c.collection_id == collection_id))
        ids = _insert_versions(connection, template, version_count)
        moves = event_count - 2 * version_count  # a LINK and a latest move per version
        holders = _insert_events(connection, rng, ids, moves, collection_id, project_id)
        connection.execute(
            insert(aliases),
            [{"collection_id": collection_id, "version_id": v, "alias": a} for a, v in holders.items()],
        )
        connection.execute(
            update(collections)
            .where(collections.c.id == collection_id)
            .values(next_version_index=version_count)
        )


def _insert_versions(connection: Any, template: dict[str, Any], count: int) -> list[int]:
    del template["id"]
    for start in range(0, count, BATCH):
        rows = []
        for index in range(start, min(count, start + BATCH)):
            moment = START + index * STEP
            metadata = {"accuracy": round(index / count, 4), "framework": "torch" if index % 2 else "jax"}
            rows.append(
                {
                    **template,
                    "version_index": index,
                    "metadata_json": metadata,
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
        connection.execute(insert(versions), rows)
    found = connection.execute(
        select(versions.c.id)
        .where(versions.c.collection_id == template["collection_id"])
        .order_by(versions.c.version_index)
    )
    return list(found.scalars())


def _insert_events(
    connection: Any, rng: random.Random, ids: list[int], moves: int, collection_id: int, project_id: int
) -> dict[str, int]:
    """LINK + latest per version at its time; ``moves`` alias moves at random times between."""
    move_times = sorted(rng.uniform(0, len(ids) * STEP.total_seconds()) for _ in range(max(moves, 0)))
    holders: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    next_move = 0

    def add(kind: str, moment: dt.datetime, alias: str | None, after: int, before: int | None) -> None:
        rows.append(
            {
                "event_type": kind,
                "created_at": moment,
                "actor": "bench",
                "project_id": project_id,
                "collection_id": collection_id,
                "alias": alias,
                "version_id": after,
                "previous_version_id": before,
            }
        )
        if len(rows) >= BATCH:
            connection.execute(insert(artifact_events), rows)
            rows.clear()

    for index, version_id in enumerate(ids):
        moment = START + index * STEP
        add("LINK_ARTIFACT", moment, None, version_id, None)
        add("ADD_ARTIFACT_ALIAS", moment, "latest", version_id, holders.get("latest"))
        holders["latest"] = version_id
        limit = (index + 1) * STEP.total_seconds()
        while next_move < len(move_times) and move_times[next_move] < limit:
            alias = MOVED[next_move % len(MOVED)]
            target = ids[rng.randrange(index + 1)]
            add(
                "ADD_ARTIFACT_ALIAS",
                START + dt.timedelta(seconds=move_times[next_move]),
                alias,
                target,
                holders.get(alias),
            )
            holders[alias] = target
            next_move += 1
    if rows:
        connection.execute(insert(artifact_events), rows)
    return holders


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) the engine runs meanwhile."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def explain(engine: Engine, call: Callable[[], object], marker: str) -> list[str]:
    """The plan of the statement of ``call`` that mentions ``marker``."""
    with captured(engine) as seen:
        call()
    statement, parameters = next(
        (s, p) for s, p in seen if marker in s and s.lstrip().upper().startswith("SELECT")
    )
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    return [" | ".join(str(cell) for cell in row) for row in rows]


def timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(service: Service, version_count: int, repeats: int) -> None:
    engine = service.engine
    with engine.connect() as connection:
        total = connection.execute(select(text("count(*)")).select_from(artifact_events)).scalar()
    print(f"  {version_count} linked versions in one collection; {total} events in the store")
    span = version_count * STEP.total_seconds()
    rng = random.Random(1)
    moments = [
        (START + dt.timedelta(seconds=rng.uniform(span * 0.01, span))).isoformat() for _ in range(repeats)
    ]
    cursor = iter(moments * 3)

    def as_of() -> object:
        return service.resolve_version_as_of(ORGANIZATION, PROJECT, COLLECTION, "production", next(cursor))

    early = f"v{version_count // 200}"  # linked before every moment asked

    def version_as_of() -> object:
        return service.resolve_version_as_of(ORGANIZATION, PROJECT, COLLECTION, early, next(cursor))

    def current() -> object:
        return service.resolve_version(ORGANIZATION, PROJECT, COLLECTION, "production")

    wanted = {"metadata.accuracy": {"$gte": 0.95}, "metadata.framework": "torch"}

    def filtered() -> object:
        return service.list_versions(VersionQuery(ORGANIZATION, PROJECT, COLLECTION, filter=wanted, limit=50))

    def unfiltered() -> object:
        return service.list_versions(VersionQuery(ORGANIZATION, PROJECT, COLLECTION, limit=50))

    middle = service.collection_history(ORGANIZATION, PROJECT, COLLECTION, limit=1)[0].id // 2

    def history() -> object:
        return service.collection_history(ORGANIZATION, PROJECT, COLLECTION, alias="production", limit=50)

    def deep_history() -> object:
        return service.collection_history(
            ORGANIZATION, PROJECT, COLLECTION, alias="production", before=middle, limit=50
        )

    assert filtered(), "the filter should match"
    rows = (
        ("resolve_version production (baseline)", current, "lookup"),
        ("as-of production at random T", as_of, "lookup"),
        (f"as-of {early} at random T", version_as_of, "lookup"),
        ("list_versions first page (baseline)", unfiltered, "listing"),
        ("list_versions filtered, page of 50", filtered, "listing"),
        ("history of production, first page", history, "listing"),
        ("history of production, deep page", deep_history, "listing"),
    )
    for _label, call, _base in rows:  # warm the caches once
        call()
    baselines: dict[str, float] = {}
    print(f"  {'query':44} {'median ms':>10} {'p95 ms':>8} {'vs baseline':>12}")
    for label, call, base in rows:
        median, p95 = timed(call, repeats)
        baselines.setdefault(base, median)
        print(f"  {label:44} {median:10.2f} {p95:8.2f} {median / baselines[base]:11.2f}x")
    for label, call, marker in (
        ("as-of", as_of, "artifact_events"),
        ("vN as-of", version_as_of, "versions.deleted_at"),
        ("filtered listing", filtered, "metadata_json"),
        ("history page", deep_history, "artifact_events"),
    ):
        print(f"  plan of the {label} statement:")
        for line in explain(engine, call, marker):
            print(f"    {line}")


def run(url: str, store: str, version_count: int, event_count: int, repeats: int) -> None:
    engine = open_engine(url)
    service = Service(engine, LocalBlobStore(store))
    try:
        started = time.perf_counter()
        build(service, version_count, event_count)
        print(f"  built in {time.perf_counter() - started:.1f} s")
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
        else:
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        measure(service, version_count, repeats)
    finally:
        service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument(
        "--postgres", default="", help="use this database (default: a throw-away one on 127.0.0.1)"
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        if options.only in (None, "sqlite"):
            print("SQLite")
            run(
                f"sqlite:///{work}/meta.sqlite",
                f"{work}/blobs",
                options.versions,
                options.events,
                options.repeats,
            )
        if options.only in (None, "postgresql"):
            print("PostgreSQL")
            if options.postgres:
                run(options.postgres, f"{work}/pg-blobs", options.versions, options.events, options.repeats)
            else:
                from tests.metadata.postgres import temporary_database

                with temporary_database() as url:
                    run(url, f"{work}/pg-blobs", options.versions, options.events, options.repeats)


if __name__ == "__main__":
    main()
