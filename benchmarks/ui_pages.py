"""Web UI page times.

    python benchmarks/ui_pages.py [--versions 1000] [--repeat 9] [--data DIR] [--rebuild]

Builds (once, through the public SDK) a project with ``--versions`` versions: one
collection holding most of them, ten smaller ones, a chain of runs that use the
previous run's output (lineage), metric history on every run and one version
with 5,000 files. Then it starts ``archivist ui`` on a loopback port and reports,
for each main page, the median response time of ``--repeat`` requests (after one
warm-up) beside a baseline measured in the same run: a small static file from the
same server. The target is 300 ms per page. Nothing in CI asserts on these times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

DEFAULT_DATA = "/tmp/archivist-bench-ui"
TARGET_MS = 300.0
PROJECT = "bench-ui"
SMALL_COLLECTIONS = 10
VERSIONS_PER_SMALL = 10
VERSIONS_PER_RUN = 10
FILES_PER_VERSION = 8
BIG_MANIFEST_FILES = 5000
HISTORY_ROWS = 200


def build(home: Path, work: Path, versions: int) -> None:
    """Log the project through the SDK (in this process, with ARCHIVIST_DIR = ``home``)."""
    os.environ.update(ARCHIVIST_DIR=str(home), ARCHIVIST_CACHE_DIR=str(work / "cache"), ARCHIVIST_SILENT="1")
    import archivist

    work.mkdir(parents=True, exist_ok=True)
    big = versions - SMALL_COLLECTIONS * VERSIONS_PER_SMALL
    plan = [("samples", i) for i in range(big)]
    plan += [(f"model-{c}", i) for c in range(SMALL_COLLECTIONS) for i in range(VERSIONS_PER_SMALL)]
    previous: str | None = None
    started = time.perf_counter()
    for batch_start in range(0, len(plan), VERSIONS_PER_RUN):
        batch = plan[batch_start : batch_start + VERSIONS_PER_RUN]
        with archivist.init(project=PROJECT, job_type="step", config={"batch": batch_start}) as run:
            if previous is not None:
                run.use_artifact(previous)
            for step in range(HISTORY_ROWS):
                run.log({"loss": 1 / (step + 1), "lr": 0.01})
            for name, index in batch:
                artifact = archivist.Artifact(
                    name, type="dataset", metadata={"index": index, "nested": {"a": 1}}
                )
                for f in range(FILES_PER_VERSION):
                    with artifact.new_file(f"part-{f}/data-{f}.csv") as handle:
                        handle.write(f"id,value\n{index},{f}\n")
                run.log_artifact(artifact, tags=["even"] if index % 2 == 0 else ["odd"])
            logged = batch[-1][0]
        previous = f"{logged}:latest"
        done = batch_start + len(batch)
        print(
            f"\r  logged {done}/{len(plan)} versions ({time.perf_counter() - started:.0f} s)",
            end="",
            flush=True,
        )
    wide = work / "wide"
    for f in range(BIG_MANIFEST_FILES):
        path = wide / f"shard-{f % 50:02d}" / f"file-{f:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{f}\n")
    with archivist.init(project=PROJECT, job_type="wide") as run:
        artifact = archivist.Artifact("wide", type="dataset")
        artifact.add_dir(str(wide))
        run.log_artifact(artifact).wait()
    print()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_ui(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    env["ARCHIVIST_DIR"] = str(home)
    command = [sys.executable, "-m", "archivist", "ui", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/ui/static/ui.css", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("archivist ui did not start within 60 s")


def pages(client: httpx.Client) -> list[tuple[str, str]]:
    """(label, URL) of every page measured; ids are looked up through the UI itself."""
    runs_page = client.get(f"/ui/runs/local/{PROJECT}").text
    marker = f'href="/ui/runs/local/{PROJECT}/'
    run_id = runs_page.split(marker, 1)[1].split('"', 1)[0]
    samples = f"/ui/artifacts/local/{PROJECT}/samples"
    return [
        ("projects", "/ui/projects/local"),
        ("project (types + collections)", f"/ui/projects/local/{PROJECT}"),
        ("project search by tag", f"/ui/projects/local/{PROJECT}?q=even"),
        ("type", f"/ui/projects/local/{PROJECT}/types/dataset"),
        ("collection, first page", samples),
        ("collection, last page", f"{samples}?page=1000"),
        ("collection filtered by tag", f"{samples}?tag=odd"),
        ("version overview", f"{samples}/v500"),
        ("files tab", f"{samples}/v500/files"),
        ("file preview (csv)", f"{samples}/v500/files/view?path=part-3/data-3.csv"),
        ("files tab, 5,000-file version", f"/ui/artifacts/local/{PROJECT}/wide/v0/files"),
        ("lineage (2 up, 2 down)", f"{samples}/v500/lineage"),
        ("lineage (10 up, 10 down)", f"{samples}/v500/lineage?up=10&down=10"),
        ("compare two versions", f"{samples}/compare?a=v1&b=v800"),
        ("runs list", f"/ui/runs/local/{PROJECT}"),
        ("run page (200 history rows)", f"/ui/runs/local/{PROJECT}/{run_id}"),
    ]


def median_ms(client: httpx.Client, url: str, repeat: int) -> float:
    response = client.get(url)  # warm-up (also checks the page works)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/ui_pages.py", description="Web UI page times against the 300 ms target."
    )
    parser.add_argument("--data", default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})")
    parser.add_argument("--versions", type=int, default=1000, help="versions in the project (default 1000)")
    parser.add_argument("--repeat", type=int, default=9, help="requests per page (default 9)")
    parser.add_argument("--rebuild", action="store_true", help="log the project again from scratch")
    args = parser.parse_args(argv)
    data = Path(args.data)
    home = data / f"home-{args.versions}"
    if args.rebuild and data.exists():
        shutil.rmtree(data)
    if not (home / "meta.sqlite").exists():
        print(f"building {args.versions} versions in {home} (once; --rebuild to redo)")
        build(home, data / f"work-{args.versions}", args.versions)
    process, url = start_ui(home)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            baseline = median_ms(client, "/ui/static/ui.css", args.repeat)
            rows = [(label, median_ms(client, page, args.repeat)) for label, page in pages(client)]
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"\nUI page times, {args.versions} versions, median of {args.repeat} (target {TARGET_MS:.0f} ms)")
    print(f"{'page':<34} {'ms':>8} {'x baseline':>11}  within target")
    print(f"{'baseline: static ui.css':<34} {baseline:>8.1f} {1:>11.1f}")
    for label, ms in rows:
        verdict = "yes" if ms <= TARGET_MS else "NO"
        print(f"{label:<34} {ms:>8.1f} {ms / baseline:>11.1f}  {verdict}")
    return 0 if all(ms <= TARGET_MS for _, ms in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
