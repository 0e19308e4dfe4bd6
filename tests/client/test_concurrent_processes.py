"""Several OS processes on one embedded store: concurrent commits get dense,
unique version numbers, and a process killed mid-commit leaves no half version."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archivist.core.manifest import Manifest
from archivist.core.models import VersionQuery
from archivist.core.settings import Settings
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import ENTITY, PROJECT, log_text
from tests.client.commit_worker import COLLECTION

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]


def _worker(home: Path, name: str, count: int, go_file: Path | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.client.commit_worker", str(home), name, str(count)]
    if go_file is not None:
        command.append(str(go_file))
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _open(home: Path) -> LocalBackend:
    return LocalBackend(Settings(home=str(home), cache_dir=str(home / "cache")))


def _check_store(backend: LocalBackend) -> list[int]:
    """Every listed version resolves and all its blobs exist; returns the version numbers."""
    listed = backend.list_versions(VersionQuery(ENTITY, PROJECT, COLLECTION, order="+version"))
    for version in listed:
        assert backend.resolve_version(ENTITY, PROJECT, COLLECTION, version.version).id == version.id
        manifest = Manifest.from_bytes(backend.read_bytes(version.manifest_digest))
        assert manifest.digest() == version.digest
        assert backend.missing_blobs(sorted(manifest.blob_digests())) == []
    return [version.version_index for version in listed]


def test_concurrent_processes_get_dense_unique_version_numbers(tmp_path: Path) -> None:
    home, go_file = tmp_path / "home", tmp_path / "go"
    workers, per_worker = 6, 5
    children = [_worker(home, f"w{i}", per_worker, go_file) for i in range(workers)]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    go_file.touch()
    outputs = [child.communicate(timeout=180) for child in children]
    assert [child.returncode for child in children] == [0] * workers, [err for _, err in outputs]
    reported = sorted(int(line.split()[1]) for out, _ in outputs for line in out.splitlines())
    total = workers * per_worker
    assert reported == list(range(total))
    backend = _open(home)
    assert _check_store(backend) == list(range(total))
    assert backend.resolve_version(ENTITY, PROJECT, COLLECTION, "latest").version_index == total - 1
    assert backend.get_collection(ENTITY, PROJECT, COLLECTION).version_count == total
    backend.close()


def test_a_process_killed_mid_commit_leaves_the_store_usable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    random_delay = random.Random(1234)
    committed = 0
    for round_number in range(3):
        child = _worker(home, f"k{round_number}", 0)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for _ in range(3):  # let it commit a few versions, then kill it while it keeps committing
            assert child.stdout.readline().startswith("committed")
        time.sleep(random_delay.uniform(0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        backend = _open(home)
        indices = _check_store(backend)
        assert indices == list(range(len(indices))) and len(indices) >= committed + 3
        committed = len(indices)
        backend.close()
    after = _worker(home, "after", 2)
    out, err = after.communicate(timeout=60)
    assert after.returncode == 0, err
    assert [line for line in out.splitlines() if line.startswith("committed")] == [
        f"committed {committed}",
        f"committed {committed + 1}",
    ]
    backend = _open(home)
    assert _check_store(backend) == list(range(committed + 2))
    assert log_text(backend, "other", "still writable").created
    backend.close()
