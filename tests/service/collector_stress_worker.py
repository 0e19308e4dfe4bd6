"""A process of the collector stress test (``test_collector_races``):
``python -m tests.service.collector_stress_worker ROLE HOME NAME SECONDS OUT GO STOP``.
Each prints ``ready`` once warmed up (imports, the store opened) and starts when GO exists.

ROLE ``log``: logs versions through the SDK for SECONDS, each a subset of a pool of files
whose bytes depend only on their name (``pool``), so that the same files recur in many
versions and some versions are identical to earlier ones (dedup); it also logs to a
collection of its own and deletes the version before each new one there (work for the
purge). ROLE ``download``: until STOP exists, downloads the latest versions of the shared
collections and checks every file's bytes. Each writes one JSON line per event to OUT.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

SHARED = ("alpha", "beta")
POOL = 24


def pool(name: str) -> bytes:
    """The bytes of pool file ``name`` (``f07.txt``): the same in every version."""
    number = int(name[1:3])
    return (f"file {number} ".encode() * (40 + 97 * number))[: 300 + 5000 * (number % 5)]


def _wait(go: str) -> None:
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)


def _log(home: str, name: str, seconds: float, out: Path, go: str, stop: str) -> None:
    import archivist as wandb

    chooser = random.Random(name)
    earlier: list[list[int]] = []
    churn_previous = None
    with wandb.init(project="stress", job_type="log") as run, out.open("a") as events:
        _wait(go)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if earlier and chooser.random() < 0.3:
                numbers = chooser.choice(earlier)  # identical to an earlier version: dedup
            else:
                numbers = sorted(chooser.sample(range(POOL), chooser.randint(1, 6)))
                earlier.append(numbers)
            churn = chooser.random() < 0.35
            collection = f"churn-{name}" if churn else chooser.choice(SHARED)
            folder = Path(home) / "src" / name
            folder.mkdir(parents=True, exist_ok=True)
            artifact = wandb.Artifact(collection, type="dataset")
            for number in numbers:
                path = folder / f"f{number:02d}.txt"
                path.write_bytes(pool(path.name))
                artifact.add_file(str(path))
            try:
                logged = run.log_artifact(artifact)
                logged.wait()
            except Exception as error:
                events.write(
                    json.dumps({"event": "failed", "error": f"{type(error).__name__}: {error}"}) + "\n"
                )
                events.flush()
                continue
            record = {
                "event": "logged",
                "collection": collection,
                "version": logged.version,
                "files": numbers,
            }
            events.write(json.dumps(record) + "\n")
            if churn:
                if churn_previous is not None and churn_previous != logged.version:
                    wandb.Api().artifact(f"stress/{collection}:{churn_previous}").delete(delete_aliases=True)
                    events.write(
                        json.dumps({"event": "deleted", "collection": collection, "version": churn_previous})
                        + "\n"
                    )
                churn_previous = logged.version
            events.flush()


def _download(home: str, name: str, seconds: float, out: Path, go: str, stop: str) -> None:
    import archivist as wandb
    import archivist.sdk.materialize

    wandb.Api()
    _wait(go)
    count = 0
    with out.open("a") as events:
        while not os.path.exists(stop):
            for collection in SHARED:
                try:
                    artifact = wandb.Api().artifact(f"stress/{collection}:latest")
                except Exception as error:
                    events.write(
                        json.dumps({"event": "unresolved", "error": f"{type(error).__name__}: {error}"})
                        + "\n"
                    )
                    time.sleep(0.1)
                    continue
                try:
                    root = artifact.download(root=os.path.join(home, "down", name, str(count)))
                    wrong = [p.name for p in Path(root).iterdir() if p.read_bytes() != pool(p.name)]
                except Exception as error:
                    wrong = [f"{type(error).__name__}: {error}"]
                count += 1
                events.write(
                    json.dumps({"event": "downloaded", "version": artifact.version, "wrong": wrong}) + "\n"
                )
                events.flush()


if __name__ == "__main__":
    role, home, worker, seconds, out, go, stop = sys.argv[1:8]
    (_log if role == "log" else _download)(home, worker, float(seconds), Path(out), go, stop)
