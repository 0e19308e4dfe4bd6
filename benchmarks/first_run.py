"""A newcomer's first run: a whole process that logs W2 (20,000 files of 1-8 KiB) into a
store that does not exist yet, beside ``cp -r`` of the same files (issue 17 point 6).

    python benchmarks/first_run.py [--data DIR] [--quick] [--repeat N] [--tree PATH ...]

Unlike ``run.py`` (whose children leave interpreter start-up and imports out), a first
run counts everything the user waits for: starting Python, ``import archivist``, creating
the store (schema and folders), hashing, storing and committing, and the process exit.
Each repetition runs ``cp -r`` and then, for each ``--tree`` (a checkout of Archivist;
default: this one), a fresh process with a new ``ARCHIVIST_DIR`` and client cache, one
after the other, so that the disk's drift on this shared machine hits them alike; the
medians are compared. ``--tree`` twice (e.g. the main branch and this one) gives a
before/after in the same run. After each step ``sync`` runs (untimed), and outputs are
deleted only when every repetition is done (deleting many files slows the next step).

The same processes also report how many modules the first log imported (all, and
Archivist's own), and whether SQLAlchemy's PostgreSQL dialect was among them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from measure import median
from workloads import FULL, QUICK, ensure_generated

FIRST_LOG = """
import sys, json
import archivist
with archivist.init(project="first-run") as run:
    artifact = archivist.Artifact("w2", type="dataset")
    artifact.add_dir(sys.argv[1])
    run.log_artifact(artifact)
modules = list(sys.modules)
print(json.dumps({
    "modules": len(modules),
    "archivist_modules": sum(m.split(".")[0] == "archivist" for m in modules),
    "postgresql_dialect": "sqlalchemy.dialects.postgresql" in modules,
}))
"""


def _timed_process(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed:\n{done.stderr}")
    subprocess.run(["sync"], check=True)
    return seconds, done.stdout


def _first_log(tree: str, source: str, scratch: str, label: str) -> tuple[float, dict[str, object]]:
    env = {
        **os.environ,
        "PYTHONPATH": tree,
        "ARCHIVIST_DIR": os.path.join(scratch, f"store-{label}"),
        "ARCHIVIST_CACHE_DIR": os.path.join(scratch, f"cache-{label}"),
        "ARCHIVIST_SILENT": "1",
    }
    env.pop("ARCHIVIST_BASE_URL", None)
    seconds, stdout = _timed_process([sys.executable, "-c", FIRST_LOG, source], env, scratch)
    return seconds, json.loads(stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="/tmp/archivist-first-run-bench")
    parser.add_argument("--quick", action="store_true", help="400 files instead of 20,000")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--tree", action="append", help="an Archivist checkout (repeatable)")
    args = parser.parse_args()
    trees = [
        os.path.abspath(t) for t in args.tree or [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    ]
    sizes = QUICK if args.quick else FULL
    workloads = ensure_generated(os.path.join(args.data, "quick" if args.quick else "full"), sizes, {"w2"})
    files, size = workloads.w2_stats()
    print(f"W2: {files} files, {size / 1e6:.1f} MB; {args.repeat} interleaved repetitions")
    scratch = tempfile.mkdtemp(prefix="archivist-first-run-", dir=args.data)
    times: dict[str, list[float]] = {"cp -r": [], **{tree: [] for tree in trees}}
    facts: dict[str, dict[str, object]] = {}
    try:
        for i in range(args.repeat):
            seconds, _ = _timed_process(
                ["cp", "-r", workloads.w2, os.path.join(scratch, f"cp-{i}")], dict(os.environ), scratch
            )
            times["cp -r"].append(seconds)
            for t, tree in enumerate(trees):
                seconds, facts[tree] = _first_log(tree, workloads.w2, scratch, f"{t}-{i}")
                times[tree].append(seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    baseline = median(times["cp -r"])
    print(f"{'cp -r':<40} median {baseline:6.3f} s  ({', '.join(f'{s:.2f}' for s in times['cp -r'])})")
    for tree in trees:
        m = median(times[tree])
        print(
            f"{'first log, ' + tree:<40} median {m:6.3f} s = {m / baseline:.2f}x cp -r  "
            f"({', '.join(f'{s:.2f}' for s in times[tree])}); imported {facts[tree]}"
        )


if __name__ == "__main__":
    main()
