"""Upload and download throughput through `archivist server` on loopback, against the
embedded store, in the same run.

    python benchmarks/server_throughput.py [--data DIR] [--quick] [--repeat N] [--paths]
                                           [--db URL --store URL]

Workloads (generated once, deterministically, under --data, default
/tmp/archivist-server-bench; never inside the repository): one 1 GiB file, and 20,000
files of 1-8 KiB in 100 folders. Each operation -- log (hash + upload + commit) and
download (into an empty folder, with an empty client cache) -- runs in a fresh child
process through the public API; the time excludes interpreter start-up and imports (the
child first imports every module a warm-up log and download of a tiny file loaded: the SDK
imports most of itself lazily, on the first call). The server runs over SQLite and a
folder store on a free loopback port (or over ``--db`` and ``--store``, e.g. PostgreSQL
and ``s3://`` with the ``AWS_*`` variables set, where clients move bytes straight to the
store); the number of HTTP requests it served for each operation is counted from its
request log. ``cp`` (``cp -r`` for the folder) copies each workload in the same run, and
the server's times are shown beside it (the goal: at most 3x).

The machine is shared and its disk's speed drifts, so each download and each ``cp`` runs
``--repeat`` times, interleaved (a download, then the ``cp`` of the same workload), and the
medians are compared; each starts after ``sync``, so that neither pays for writing back (or
deleting) what the step before it left. The log of the large file runs ``--repeat`` times
too, each time of a copy with other first bytes (a second log of the same bytes would find
them stored); the folder's log runs once. As a commit is durable when it returns, a log
is also shown beside ``cp`` followed by ``sync -f`` (medians too).

``--paths`` also measures what the extra byte paths earn: the 1 GiB file logged and
downloaded with the blob listener off (``--blob-port off``: every byte through the API,
read by ``streaming_get``), and downloaded from the API with httpx's response stream.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MIB = 1 << 20
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import importlib, os, sys, time
import archivist
operation, source, name, root = sys.argv[1:5]
modules_file = os.path.join(root, "modules.txt")
if operation == "warm-up":  # untimed: create (and migrate) the store, or reach the server, and
    tiny = os.path.join(root, "tiny.txt")  # list the modules a log and a download load
    with open(tiny, "w") as file:
        file.write("warm-up")
    with archivist.init(project="bench-warm-up", job_type="warm-up") as run:
        artifact = archivist.Artifact("warm-up", type="dataset")
        artifact.add_file(tiny)
        run.log_artifact(artifact).wait()
    archivist.Api().artifact("bench-warm-up/warm-up:latest").download(os.path.join(root, "warm-up"))
    with open(modules_file, "w") as file:
        file.write("\n".join(sorted(m for m in sys.modules if m != "__main__")))
    sys.exit(0)
for module in open(os.environ["BENCH_MODULES"]).read().split():  # imports are not timed
    try:
        importlib.import_module(module)
    except Exception:  # a name only another import can make, e.g. os.path's
        pass
if os.environ.get("BENCH_HTTPX_DOWNLOAD"):  # --paths: the download through httpx alone
    from archivist.client.transfer import streaming_get
    streaming_get.usable = lambda session: False
started = time.perf_counter()
if operation == "log":
    with archivist.init(project="bench", job_type="bench") as run:
        artifact = archivist.Artifact(name, type="dataset")
        (artifact.add_dir if os.path.isdir(source) else artifact.add_file)(source)
        run.log_artifact(artifact).wait()
else:
    archivist.Api().artifact(f"bench/{name}:latest").download(root)
print(time.perf_counter() - started)
"""


@dataclass(frozen=True)
class Workload:
    name: str
    path: str
    files: int
    size: int


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss: int
    requests: int | None
    runs: tuple[float, ...] = ()
    cp_seconds: float = 0.0
    """The median ``cp`` of the same workload, run between this operation's repeats."""
    synced_cp_seconds: float = 0.0
    """For a log: ``cp`` then ``sync -f`` of the copy, run right after it (a commit is durable)."""


def make_workloads(data: str, big_bytes: int, small_count: int) -> list[Workload]:
    os.makedirs(data, exist_ok=True)
    marker = os.path.join(data, "generated.json")
    wanted = {"big": big_bytes, "small": small_count}
    big, small = os.path.join(data, "big.bin"), os.path.join(data, "small")
    if not (os.path.exists(marker) and json.load(open(marker)) == wanted):  # noqa: SIM115
        print(f"generating data in {data} ...", flush=True)
        shutil.rmtree(small, ignore_errors=True)
        rng = random.Random(20_000)
        with open(big, "wb") as out:
            for start in range(0, big_bytes, 16 * MIB):
                out.write(rng.randbytes(min(16 * MIB, big_bytes - start)))
        for index in range(small_count):
            folder = os.path.join(small, f"d{index % 100:03d}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"f{index:05d}.bin"), "wb") as out:
                out.write(rng.randbytes(rng.randint(1024, 8192)))
        with open(marker, "w") as out:
            json.dump(wanted, out)
    small_size = sum(
        entry.stat().st_size for folder in os.scandir(small) for entry in os.scandir(folder.path)
    )
    return [
        Workload("one 1 GiB file" if big_bytes == 1024 * MIB else f"one {big_bytes // MIB} MiB file", big, 1,
                 os.path.getsize(big)),
        Workload(f"{small_count:,} files of 1-8 KiB", small, small_count, small_size),
    ]  # fmt: skip


def run_child(env: dict[str, str], *args: str) -> tuple[float, int]:
    """Seconds the operation took (as the child timed it) and the child's peak RSS in bytes."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"operation {args[0]} failed:\n{err}")
    return float(out.strip().splitlines()[-1]), usage.ru_maxrss * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss(pid: int) -> int:
    """The peak resident memory of a running process (Linux ``VmHWM``), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


@contextmanager
def server(
    state: str, db_url: str | None = None, store_url: str | None = None, blob_port: str | None = None
) -> Iterator[tuple[str, str, str, int]]:
    """``archivist server`` over SQLite and a folder in ``state`` (or the database and store
    given); yields (url, admin key, log path, pid)."""
    port, key, log_path = _free_port(), secrets.token_urlsafe(32), os.path.join(state, "server.log")
    db_url = db_url or f"sqlite:///{state}/meta.sqlite"
    store_url = store_url or os.path.join(state, "blobs")
    command = [sys.executable, "-m", "archivist", "server", "--port", str(port),
               "--db", db_url, "--store", store_url]  # fmt: skip
    if blob_port is not None:
        command += ["--blob-port", blob_port]
    env = {**os.environ, "ARCHIVIST_ADMIN_KEY": key, "PYTHONPATH": REPO_ROOT}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(open(log_path).read()) from None  # noqa: SIM115
                time.sleep(0.1)
        yield url, key, log_path, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def request_count(log_path: str) -> int:
    with open(log_path) as log:
        return sum(1 for line in log if line.startswith("{") and '"duration_ms"' in line)


def measure(
    workloads: list[Workload],
    scratch: str,
    server_target: tuple[str, str, str, int] | None,
    repeat: int = 1,
    extra_env: dict[str, str] | None = None,
    operations: tuple[str, ...] = ("log", "download"),
    first_turn: int = 0,
) -> dict:
    """``first_turn``: the number of logs of these workloads this server has taken already
    (each log stores a variant of its own)."""
    results: dict[tuple[str, str], Measured] = {}
    warmed = False
    for number, workload in enumerate(workloads):
        name = f"w{number}"
        for operation in operations:
            env = {
                **os.environ,
                "PYTHONPATH": REPO_ROOT,
                "ARCHIVIST_SILENT": "1",
                "ARCHIVIST_DIR": os.path.join(scratch, "home"),
                **(extra_env or {}),
            }
            for variable in ("ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY", "ARCHIVIST_ENTITY"):
                env.pop(variable, None)
            if server_target is not None:
                env["ARCHIVIST_BASE_URL"], env["ARCHIVIST_API_KEY"] = server_target[0], server_target[1]
            if not warmed:
                warm_up = tempfile.mkdtemp(dir=scratch, prefix="warm-up-")
                warm_env = {**env, "ARCHIVIST_CACHE_DIR": os.path.join(warm_up, "cache")}
                warm_command = [sys.executable, "-c", CHILD, "warm-up", "", "", warm_up]
                subprocess.run(warm_command, env=warm_env, check=True)
                modules = os.path.join(warm_up, "modules.txt")
                warmed = True
            env["BENCH_MODULES"] = modules
            runs, cps, synced_cps, rss, requests = [], [], [], 0, None
            for turn in range(_turns(workload, operation, repeat)):
                env["ARCHIVIST_CACHE_DIR"] = tempfile.mkdtemp(dir=scratch, prefix="cache-")
                source = (
                    workload.path
                    if operation == "download"
                    else _log_source(workload, first_turn + turn, scratch)
                )
                before = request_count(server_target[2]) if server_target else None
                root = tempfile.mkdtemp(dir=scratch, prefix="download-")
                os.sync()  # start from no dirty pages: what the last step wrote or deleted is not timed here
                seconds, peak = run_child(env, operation, source, name, root)
                after = request_count(server_target[2]) if server_target else None
                requests = None if before is None or after is None else after - before
                runs.append(seconds)
                rss = max(rss, peak)
                if operation == "download":
                    shutil.rmtree(root)
                    shutil.rmtree(env["ARCHIVIST_CACHE_DIR"])
                if source != workload.path:
                    os.unlink(source)
                cps.append(copy_seconds(workload, scratch))
                if operation == "log":
                    synced_cps.append(copy_seconds(workload, scratch, synced=True))
            synced = statistics.median(synced_cps) if synced_cps else 0.0
            results[(workload.name, operation)] = Measured(
                statistics.median(runs), rss, requests, tuple(runs), statistics.median(cps), synced
            )
    return results


def _turns(workload: Workload, operation: str, repeat: int) -> int:
    """Downloads and logs of the single file run ``repeat`` times; the folder's log once."""
    return repeat if operation == "download" or workload.files == 1 else 1


def _log_source(workload: Workload, turn: int, scratch: str) -> str:
    """What the log of ``turn`` stores: the workload itself first, then copies with their
    first bytes changed (made before the clock starts), so that every log uploads every
    byte instead of finding the blob already stored."""
    if turn == 0:
        return workload.path
    variant = os.path.join(scratch, f"variant-{turn}.bin")
    shutil.copyfile(workload.path, variant)
    with open(variant, "r+b") as file:
        file.write(f"variant {turn}\n".encode())
    return variant


def report(workloads: list[Workload], embedded: dict, served: dict) -> None:
    columns = ("operation", "embedded", "server (loopback)", "server/embedded", "requests")
    header = f"{columns[0]:<36} {columns[1]:>22} {columns[2]:>22} {columns[3]:>16} {columns[4]:>9}"
    print("\n" + header + "\n" + "-" * len(header))
    for workload in workloads:
        for operation in ("log", "download"):
            here, there = embedded[(workload.name, operation)], served[(workload.name, operation)]
            cells = [_rate(workload, m) for m in (here, there)]
            print(
                f"{operation + ' ' + workload.name:<36} {cells[0]:>22} {cells[1]:>22} "
                f"{there.seconds / here.seconds:>15.2f}x {there.requests:>9}"
            )
    print("\npeak RSS of the client process in MiB (hashing memory-maps large files; their pages count):")
    for workload in workloads:
        for operation in ("log", "download"):
            rss = [results[(workload.name, operation)].peak_rss // MIB for results in (embedded, served)]
            print(f"  {operation} {workload.name}: embedded {rss[0]}, server {rss[1]}")


CP_GOAL = 3.0
"""The server's uploads and downloads should take at most this many times what ``cp`` does."""


def copy_seconds(workload: Workload, scratch: str, synced: bool = False) -> float:
    """Seconds ``cp`` (a file) or ``cp -r`` (a folder) takes to copy the workload, now;
    ``synced``: and to get the copy onto the disk (``sync -f``), as a durable commit must."""
    target = os.path.join(scratch, "cp-target")
    command = ["cp", "-r"] if os.path.isdir(workload.path) else ["cp"]
    os.sync()  # as before each operation
    started = time.perf_counter()
    subprocess.run([*command, workload.path, target], check=True)
    if synced:
        subprocess.run(["sync", "-f", target], check=True)
    seconds = time.perf_counter() - started
    if os.path.isdir(target):
        shutil.rmtree(target)
    else:
        os.unlink(target)
    return seconds


def report_beside_cp(workloads: list[Workload], served: dict) -> None:
    print(f"\nthrough the server beside cp in the same run (goal: at most {CP_GOAL:.0f}x; medians):")
    for workload in workloads:
        for operation in ("log", "download"):
            measured = served[(workload.name, operation)]
            there, cp = measured.seconds, measured.cp_seconds
            verdict = "ok" if there <= CP_GOAL * cp else "SLOWER THAN THE GOAL"
            runs = " ".join(f"{run:.2f}" for run in measured.runs)
            synced = measured.synced_cp_seconds
            durable = f"; cp + sync {synced:.2f}s: {there / synced:.2f}x" if synced else ""
            print(
                f"  {operation + ' ' + workload.name:<34} server {there:6.2f}s  cp {cp:6.2f}s  "
                f"{there / cp:5.2f}x  {verdict}  (runs: {runs}{durable})"
            )


def measure_paths(big: Workload, scratch: str, repeat: int) -> tuple[dict, dict, dict]:
    """The large file through the API alone, through httpx alone and through the blob
    listener, on two servers running at once, one repeat of each in turn: the machine's
    disk drifts over minutes, so paths measured one after the other would compare moments
    rather than paths. Returns (api only, httpx download, listener) results."""
    api_state, listener_state = os.path.join(scratch, "api-only"), os.path.join(scratch, "paths-listener")
    os.makedirs(listener_state)
    runs: dict[str, list[dict]] = {"api": [], "httpx": [], "listener": []}
    with (
        server(api_state, None, None, blob_port="off") as api_target,
        server(listener_state) as listener_target,
    ):
        where = f"API only at {api_target[0]}, listener at {listener_target[0]}"
        print(f"the paths, in turn: {where} ...", flush=True)
        for turn in range(repeat):
            runs["listener"].append(measure([big], listener_state, listener_target, 1, first_turn=turn))
            runs["api"].append(measure([big], api_state, api_target, 1, first_turn=turn))
            runs["httpx"].append(
                measure([big], api_state, api_target, 1, {"BENCH_HTTPX_DOWNLOAD": "1"}, ("download",))
            )
    return _joined(runs["api"]), _joined(runs["httpx"]), _joined(runs["listener"])


def _joined(turns: list[dict]) -> dict:
    """One result per (workload, operation) from several single-run results: medians of all."""
    joined: dict[tuple[str, str], Measured] = {}
    for key in turns[0]:
        parts = [turn[key] for turn in turns]
        runs = tuple(run for part in parts for run in part.runs)
        joined[key] = Measured(
            statistics.median(runs),
            max(part.peak_rss for part in parts),
            parts[-1].requests,
            runs,
            statistics.median(part.cp_seconds for part in parts),
            statistics.median(part.synced_cp_seconds for part in parts),
        )
    return joined


def report_paths(big: Workload, served: dict, api_only: dict, httpx_download: dict) -> None:
    """What the blob listener and ``streaming_get`` earn, beside the API and httpx alone."""
    print(f"\nthe extra byte paths for {big.name}, measured in turn (medians; beside cp of the same run):")
    rows = [
        ("log, blob listener", served[(big.name, "log")]),
        ("log, API only (--blob-port off)", api_only[(big.name, "log")]),
        ("download, blob listener (sendfile)", served[(big.name, "download")]),
        ("download, API only, streaming_get", api_only[(big.name, "download")]),
        ("download, API only, httpx stream", httpx_download[(big.name, "download")]),
    ]
    for label, measured in rows:
        runs = " ".join(f"{run:.2f}" for run in measured.runs)
        print(
            f"  {label:<34} {measured.seconds:6.2f}s  {measured.seconds / measured.cp_seconds:5.2f}x cp"
            f"  (runs: {runs})"
        )


def _rate(workload: Workload, measured: Measured) -> str:
    mb_per_s = workload.size / MIB / measured.seconds
    if workload.files > 1:
        return f"{measured.seconds:6.2f}s {workload.files / measured.seconds:7.0f} f/s"
    return f"{measured.seconds:6.2f}s {mb_per_s:7.0f} MiB/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", default="/tmp/archivist-server-bench", help="where the workloads are generated"
    )
    parser.add_argument("--quick", action="store_true", help="64 MiB and 2,000 files: a smoke test")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each download and cp (medians)")
    parser.add_argument(
        "--paths", action="store_true", help="also the API alone (no blob listener) and httpx alone"
    )
    parser.add_argument("--db", help="the server's database URL (default: SQLite in a temp folder)")
    parser.add_argument(
        "--store", help="the server's blob store, e.g. s3://bucket/prefix (default: a folder)"
    )
    args = parser.parse_args()
    big, small = (64 * MIB, 2000) if args.quick else (1024 * MIB, 20_000)
    data = os.path.join(args.data, "quick" if args.quick else "full")
    workloads = make_workloads(data, big, small)
    scratch = tempfile.mkdtemp(prefix="archivist-server-bench-")
    try:
        for target in ("embedded", "server", "api-only"):
            os.makedirs(os.path.join(scratch, target))
        print("embedded store ...", flush=True)
        embedded = measure(workloads, os.path.join(scratch, "embedded"), None, args.repeat)
        with server(os.path.join(scratch, "server"), args.db, args.store) as target:
            print(f"server at {target[0]} ...", flush=True)
            served = measure(workloads, os.path.join(scratch, "server"), target, args.repeat)
            server_rss = peak_rss(target[3])
        if args.paths:
            api_only, httpx_download, listener = measure_paths(workloads[0], scratch, args.repeat)
        report(workloads, embedded, served)
        report_beside_cp(workloads, served)
        if args.paths:
            report_paths(workloads[0], listener, api_only, httpx_download)
        print(f"peak RSS of the server process over all operations: {server_rss // MIB} MiB")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
