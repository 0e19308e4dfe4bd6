"""The collector at scale: 100,000 versions naming 1,000,000 blobs (issue 19's figures).

    python benchmarks/gc_scale.py DIR [--versions 100000] [--blobs 1000000]

How the store is built, fast: the blobs are small (60-400 bytes: the collector's work is per
blob, not per byte), written through ``LocalBlobStore.put_bytes_many`` in batches, so they
land in pack files as a log of many small files does. The rows are bulk SQL inserts of the
schema's tables (``executemany`` over 20,000-row chunks): one entity and project, 100
collections, the versions (each its own chain: no base), their ``version_blobs`` rows. A
version's manifest is a blob of its own (1 in 10 blobs); the collector never reads
manifests, so their bytes are only distinct. Of the file blobs, 1 in 5 is shared by two
versions (dedup), 3 in 100 are named by no version (orphans, written "two days ago"); 10% of
the versions are soft-deleted 30 days ago (the default 7-day grace purges them) and 2%
yesterday (kept, restorable).

The dry run and the real run each run in a child process, timed from inside, with their
peak memory (``resource.getrusage``: ``ru_maxrss``). The bytes reclaimed are compared with
a count by hand: every blob in the store minus the blobs that a version the purge keeps
names (its rows or its manifest), summed from the pack index's sizes.

Measured 2026-12-07 on the shared 2-core dev machine (other jobs running, so times are upper
bounds), SQLite + a folder store, 100,000 versions, 1,000,000 blobs (building: 323 s for the
blobs, 131 s for the rows): 10,214 versions to purge, 176,631 blobs (47,769,864 bytes) named
by nothing that stays. Dry run 121 s; real run 351 s (purge, 176,631 blobs deleted, packs
compacted: 18,407,688 bytes more); a dry run afterwards 93 s and finds nothing. Peak RSS 337
MiB in each child (62 MiB for 10,000 blobs: the digests are walked 500 at a time; the rest
is SQLite's page caches, 32 MiB per metadata connection, and the pack index's). Bytes
reclaimed = the count by hand, exactly; the plan = the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time

import blake3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import insert

from archivist.metadata.migrate import open_engine
from archivist.metadata.schema import collections, entities, projects, version_blobs, versions
from archivist.storage.local import LocalBlobStore

CHUNK = 20_000
COLLECTIONS = 100


def _blob(number: int, rng: random.Random) -> tuple[str, bytes]:
    data = f"blob {number} ".encode() * rng.randint(6, 40)
    return blake3.blake3(data).hexdigest(), data


def build(root: str, version_count: int, blob_count: int) -> None:
    rng = random.Random(19)
    store = LocalBlobStore(os.path.join(root, "blobs"), durable=False)
    engine = open_engine(f"sqlite:///{os.path.join(root, 'meta.sqlite')}")
    manifests = version_count
    files = blob_count - manifests
    started = time.perf_counter()
    digests: list[str] = []
    for start in range(0, blob_count, CHUNK):
        batch = [_blob(number, rng) for number in range(start, min(blob_count, start + CHUNK))]
        store.put_bytes_many(batch)
        digests.extend(digest for digest, _ in batch)
    print(f"blobs: {blob_count} in {time.perf_counter() - started:.1f} s", flush=True)
    with sqlite3.connect(store.index.path) as index:  # written two days ago: past any blob grace
        index.execute("UPDATE packs SET written_at = ?", (time.time() - 2 * 86400,))
    file_digests, manifest_digests = digests[:files], digests[files:]
    orphans = int(files * 0.03)
    named = file_digests[orphans:]
    per_version = len(named) // version_count
    now = dt.datetime.now(dt.timezone.utc)
    long_ago, yesterday = now - dt.timedelta(days=30), now - dt.timedelta(days=1)
    started = time.perf_counter()
    with engine.begin() as connection:
        entity = connection.execute(
            insert(entities).values(name="bench", created_at=now)
        ).inserted_primary_key[0]
        project = connection.execute(
            insert(projects).values(entity_id=entity, name="gc", created_at=now)
        ).inserted_primary_key[0]
        connection.execute(
            insert(collections),
            [
                {
                    "id": c + 1, "project_id": project, "name": f"c{c}", "type": "dataset", "tags": [],
                    "next_version_index": version_count // COLLECTIONS, "created_at": now, "updated_at": now,
                }
                for c in range(COLLECTIONS)
            ],
        )  # fmt: skip
        rows: list[dict[str, object]] = []
        blob_rows: list[dict[str, object]] = []
        for number in range(version_count):
            draw = rng.random()
            state, deleted_at = "COMMITTED", None
            if draw < 0.10:
                state, deleted_at = "DELETED", long_ago
            elif draw < 0.12:
                state, deleted_at = "DELETED", yesterday
            mine = named[number * per_version : (number + 1) * per_version]
            rows.append(
                {
                    "id": number + 1, "collection_id": number % COLLECTIONS + 1,
                    "version_index": number // COLLECTIONS, "digest": manifest_digests[number],
                    "manifest_digest": manifest_digests[number], "size": 0, "file_count": len(mine),
                    "metadata_json": {}, "state": state, "created_at": long_ago, "updated_at": long_ago,
                    "deleted_at": deleted_at,
                }
            )  # fmt: skip
            shared = {rng.choice(named) for _ in range(len(mine) // 5)}  # dedup: named twice
            blob_rows += [{"version_id": number + 1, "digest": d} for d in sorted(set(mine) | shared)]
            if len(blob_rows) >= CHUNK:
                connection.execute(insert(versions), rows) if rows else None
                connection.execute(insert(version_blobs), blob_rows)
                rows, blob_rows = [], []
        if rows:
            connection.execute(insert(versions), rows)
        if blob_rows:
            connection.execute(insert(version_blobs), blob_rows)
    print(f"rows: {version_count} versions in {time.perf_counter() - started:.1f} s", flush=True)
    engine.dispose()


def count_by_hand(root: str) -> tuple[int, int]:
    """(blobs, bytes) no kept version names: the store's blobs minus those of versions not
    soft-deleted more than 7 days ago (their rows and their manifests)."""
    cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7)).isoformat()
    meta = sqlite3.connect(os.path.join(root, "meta.sqlite"))
    kept = "SELECT id FROM versions WHERE NOT (state = 'DELETED' AND deleted_at <= ?)"
    held = {
        d
        for (d,) in meta.execute(f"SELECT digest FROM version_blobs WHERE version_id IN ({kept})", (cutoff,))
    }
    held |= {
        d for (d,) in meta.execute(f"SELECT manifest_digest FROM versions WHERE id IN ({kept})", (cutoff,))
    }
    store = LocalBlobStore(os.path.join(root, "blobs"))
    index = sqlite3.connect(store.index.path)
    columns = [row[1] for row in index.execute("PRAGMA table_info(blobs)")]
    size_column = "length" if "length" in columns else "size"
    blobs = total = 0
    for digest, size in index.execute(f"SELECT digest, {size_column} FROM blobs"):
        if digest not in held:
            blobs, total = blobs + 1, total + size
    return blobs, total


def run_child(root: str, dry_run: bool) -> dict[str, object]:
    """One collector run in this process: its report, time and peak memory."""
    from archivist.service import gc

    engine = open_engine(f"sqlite:///{os.path.join(root, 'meta.sqlite')}")
    store = LocalBlobStore(os.path.join(root, "blobs"))
    started = time.perf_counter()
    report = gc.run_collection(engine, store, dry_run=dry_run)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_kib / 1024, 1),
        "purged_versions": len(report.purged_versions),
        "removed_blobs": report.removed_blobs,
        "removed_bytes": report.removed_bytes,
        "compacted_bytes": report.compacted_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--blobs", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["dry", "real"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.dir, args.child == "dry")))
        return
    os.makedirs(args.dir, exist_ok=False)
    build(args.dir, args.versions, args.blobs)
    blobs, total = count_by_hand(args.dir)
    print(f"by hand: {blobs} unreferenced blobs, {total} bytes", flush=True)
    results = {}
    for mode in ("dry", "real"):
        done = subprocess.run(
            [sys.executable, __file__, args.dir, "--child", mode], capture_output=True, text=True, check=True
        )
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{mode} run: {results[mode]}", flush=True)
    again = subprocess.run(
        [sys.executable, __file__, args.dir, "--child", "dry"], capture_output=True, text=True, check=True
    )
    after = json.loads(again.stdout.strip().splitlines()[-1])
    print(f"dry run after: {after}")
    plan, real = results["dry"], results["real"]
    same = all(plan[k] == real[k] for k in ("purged_versions", "removed_blobs", "removed_bytes"))
    print(
        f"plan == result: {same}; reclaimed {real['removed_bytes']} bytes, by hand {total} "
        f"({'equal' if real['removed_bytes'] == total else 'DIFFERENT'})"
    )


if __name__ == "__main__":
    main()
