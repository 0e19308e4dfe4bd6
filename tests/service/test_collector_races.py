"""The collector against everything else at once (``service.gc``'s protocol): logging
processes with overlapping content and dedup hits, downloaders, deletions; a collector
killed mid-purge; a restore racing a purge. Nothing committed may ever lose a byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archivist.core.errors import ArtifactNotFoundError
from archivist.core.manifest import Manifest
from archivist.core.models import VersionQuery, VersionRecord, VersionState
from archivist.core.settings import Settings
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import versions
from archivist.service import gc
from archivist.service.embedded import LocalBackend
from archivist.service.service import Service
from tests.client.artifact_logging import ENTITY, PROJECT, log_files
from tests.service.collector_stress_worker import SHARED, pool

REPO_ROOT = Path(__file__).resolve().parents[2]
STRESS_SECONDS = 20.0


def _spawn(module: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ARCHIVIST_DIR": str(home),
        "ARCHIVIST_CACHE_DIR": str(home / "cache"),
        "ARCHIVIST_SILENT": "true",
        "PYTHONPATH": str(REPO_ROOT),
    }


def _events(files: list[Path]) -> list[dict[str, object]]:
    return [json.loads(line) for path in files if path.exists() for line in path.read_text().splitlines()]


def _verify_every_live_version(backend: Service) -> int:
    """Read every blob of every committed version back and compare with its manifest."""
    checked = 0
    for version in _all_versions(backend):
        manifest = Manifest.from_bytes(backend.read_bytes(version.manifest_digest))
        for entry in manifest:
            assert backend.read_bytes(entry.digest) == pool(entry.path), (version, entry.path)
        checked += 1
    return checked


def _all_versions(backend: Service) -> list:  # type: ignore[type-arg]
    found = []
    for collection in backend.list_collections(backend.default_entity(), "stress"):
        found += backend.list_versions(VersionQuery(backend.default_entity(), "stress", collection.name))
    return found


@pytest.mark.slow
def test_collector_in_a_loop_beside_loggers_and_downloaders_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "store"
    backend = LocalBackend(Settings(home=str(home), cache_dir=str(home / "cache")))  # created once
    env = _environment(home)
    outs = [tmp_path / f"events-{n}.jsonl" for n in range(6)]
    go, stop = str(tmp_path / "go"), str(tmp_path / "stop")
    module = "tests.service.collector_stress_worker"
    roles = ["log"] * 4 + ["download"] * 2
    workers = [
        _spawn(module, role, str(home), f"w{n}", str(STRESS_SECONDS), str(outs[n]), go, stop, env=env)
        for n, role in enumerate(roles)
    ]
    runs, purged, removed = 0, 0, 0
    try:
        for worker in workers:  # warmed up (imports, the store opened) before the race begins
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        Path(go).touch()
        while any(worker.poll() is None for worker in workers[:4]):
            report = gc.run_collection(backend.engine, backend.store, 0, blob_grace_seconds=1.0)
            runs, purged, removed = (
                runs + 1,
                purged + len(report.purged_versions),
                removed + report.removed_blobs,
            )
            time.sleep(0.2)  # a collector in a loop, not a lock held forever (SQLite is not fair)
        Path(stop).touch()
    finally:
        Path(stop).touch()
        for worker in workers:
            try:
                worker.wait(timeout=120)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    failures = [worker.stderr.read() for worker in workers if worker.returncode != 0]  # type: ignore[union-attr]
    assert not failures, failures
    events = _events(outs)
    logged = [e for e in events if e["event"] == "logged"]
    downloads = [e for e in events if e["event"] == "downloaded"]
    failed = [e for e in events if e["event"] == "failed"]
    print(
        f"collector runs {runs}, purged {purged}, removed {removed} blobs; {len(logged)} logged, "
        f"{len(failed)} refused, {len(downloads)} downloads"
    )
    assert runs >= 5 and purged >= 5 and len(logged) >= 40 and len(downloads) >= 20
    assert [e for e in downloads if e["wrong"]] == []
    # a log may be refused only cleanly, when the collector took a blob it had found held
    assert all("missing from the store" in str(e["error"]) for e in failed), failed
    assert len(failed) <= len(logged) // 10
    report = gc.run_collection(backend.engine, backend.store, 0, blob_grace_seconds=0)
    assert report.removed_blobs >= 0
    live = {(v.collection, v.version_index) for v in _all_versions(backend)}
    deleted = {(e["collection"], int(str(e["version"])[1:])) for e in events if e["event"] == "deleted"}
    expected = {(e["collection"], int(str(e["version"])[1:])) for e in logged} - deleted
    assert live == expected
    assert _verify_every_live_version(backend) == len(expected)
    for collection in SHARED:  # and through the SDK, byte for byte, from a cold cache
        root = _download(home, tmp_path / "final" / collection, f"stress/{collection}:latest")
        assert all(path.read_bytes() == pool(path.name) for path in Path(root).iterdir())
    backend.close()


def _download(home: Path, root: Path, path: str) -> str:
    script = (
        "import archivist as wandb, sys; "
        f"print(wandb.Api().artifact({path!r}).download(root={str(root)!r}, skip_cache=True))"
    )
    env = {**_environment(home), "ARCHIVIST_CACHE_DIR": str(root.parent / "cold-cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


# --- a collector killed mid-purge ----------------------------------------------------------------

KILLABLE = """
import sys, time
from archivist.service import gc, purge
from archivist.service.embedded import LocalBackend
from archivist.core.settings import Settings

backend = LocalBackend(Settings(home=sys.argv[1], cache_dir=sys.argv[1] + "/cache"))
real = purge._purge_rows
def slow(connection, ids):
    real(connection, ids)
    print("batch", flush=True)
    time.sleep(0.3)  # inside the batch's transaction: the kill lands mid-purge
purge._purge_rows = slow
purge.BATCH_SIZE = 5
gc.run_collection(backend.engine, backend.store, 0)
"""


@pytest.mark.slow
def test_a_collector_killed_mid_purge_leaves_a_consistent_store_and_the_next_run_finishes(
    tmp_path: Path,
) -> None:
    home = tmp_path / "store"
    backend = LocalBackend(Settings(home=str(home), cache_dir=str(home / "cache")))
    kept = [log_files(backend, "kept", {"f": b"kept %d" % i, "s": b"shared"}).version for i in range(5)]
    doomed = [
        log_files(backend, "doomed", {"f": b"doomed %d" % i * 50, "s": b"shared"}).version for i in range(40)
    ]
    for version in doomed:
        backend.delete_version(version.id, delete_aliases=True)
    plan = backend.collect_garbage(0, dry_run=True)
    script = tmp_path / "killable.py"
    script.write_text(KILLABLE)
    process = subprocess.Popen(
        [sys.executable, str(script), str(home)],
        cwd=REPO_ROOT,
        env=_environment(home),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "batch"
    assert process.stdout.readline().strip() == "batch"  # one batch committed, the next in flight
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with read_transaction(backend.engine) as connection:
        left = connection.execute(
            select(func.count()).where(versions.c.state == VersionState.DELETED.value)
        ).scalar_one()
    assert 0 < left < len(doomed) and left % 5 == 0  # whole batches only
    for version in kept:  # consistent: every live version whole
        manifest = Manifest.from_bytes(backend.read_bytes(version.manifest_digest))
        assert all(backend.read_bytes(entry.digest) for entry in manifest)
    again = backend.collect_garbage(0)
    assert len(again.purged_versions) == left
    assert set(again.purged_versions) < set(plan.purged_versions)
    assert backend.collect_garbage(0, dry_run=True).purged_versions == ()
    assert backend.missing_blobs(sorted({v.manifest_digest for v in doomed})) == sorted(
        {v.manifest_digest for v in doomed}
    )
    assert backend.read_bytes(kept[0].manifest_digest)
    backend.close()


# --- a restore racing the purge ----------------------------------------------------------------


def _restore(service: Service, version: VersionRecord) -> bool:
    """``restore_version``; False when the version is not there any more (purged)."""
    try:
        service.restore_version(version.entity, version.project, version.collection, version.version_index)
    except ArtifactNotFoundError:
        return False
    return True


def _restore_at(
    service: Service, version: VersionRecord, start: threading.Barrier, order: int, out: list[bool]
) -> None:
    start.wait()
    if order == 1:
        time.sleep(0.3)  # after the collector: it has purged
    out.append(_restore(service, version))


def test_a_restore_racing_the_purge_either_wins_whole_or_finds_nothing(service: Service) -> None:
    outcomes = set()
    for round_number in range(12):
        files = {"f": b"round %d " % round_number * 100}
        version = log_files(service, f"race{round_number}", files).version
        service.delete_version(version.id, delete_aliases=True)
        restored: list[bool] = []
        start = threading.Barrier(2)

        restorer = threading.Thread(
            target=_restore_at, args=(service, version, start, round_number % 3, restored)
        )
        restorer.start()
        if round_number % 3 == 0:
            start.wait()
            time.sleep(0.3)  # after the restore: nothing to purge
        else:
            start.wait()  # 1: before the restore; 2: at the same moment
        report = service.collect_garbage(0)
        restorer.join()
        purged = f"{ENTITY}/{PROJECT}/race{round_number}:v0" in report.purged_versions
        assert restored[0] != purged  # exactly one of them won
        if restored[0]:
            assert service.get_version(version.id).version_index == 0
            manifest = Manifest.from_bytes(service.read_bytes(version.manifest_digest))
            assert all(service.read_bytes(entry.digest) == files[entry.path] for entry in manifest)
        else:
            assert service.missing_blobs([version.manifest_digest]) == [version.manifest_digest]
            with pytest.raises(ArtifactNotFoundError):
                service.get_version(version.id)
        outcomes.add(restored[0])
    assert outcomes == {True, False}
