"""Automations: latency from a commit to the webhook's receipt, and the throughput of a
burst, with one `archivist server` and with two replicas over one PostgreSQL database.

    python benchmarks/automation_latency.py [--events 1000] [--burst 1000] [--threads 8]
                                            [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

Each server runs with ``--allow-private-webhooks`` and ``--automation-rate off`` (the
dispatch is measured, not the limit) on a throw-away database; one automation
(``CREATE_ARTIFACT`` on the project) posts to a receiver on loopback that checks every
signature. Paced: ``--events`` commits one after another from one client (alternating
between the replicas); the latency of an event is the receipt time minus the moment its
commit call started, shown beside the commit call's own time (the baseline measured in the
same run). Burst: ``--burst`` commits from ``--threads`` clients at once; the throughput is
the events received per second from the first commit to the last receipt, beside the
commits per second the same clients made. With two replicas each delivery is counted at the
receiver by its id: every one must arrive exactly once.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import httpx  # noqa: E402
import psycopg  # noqa: E402

from archivist.client.http import HttpBackend  # noqa: E402
from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer  # noqa: E402
from archivist.core.automations import Action, ActionType, EventType, NewAutomation, scope_for  # noqa: E402
from archivist.core.manifest import Entry, Manifest, hash_bytes  # noqa: E402
from archivist.core.models import CommitRequest  # noqa: E402

KEY = "ak_benchmark-admin-key-0123456789"
SECRET = "benchmark-secret"
ENTITY, PROJECT = "bench", "hooks"


class Receiver:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.ids: Counter[str] = Counter()
        self.bad = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.perf_counter()
                stamp = self.headers["X-Archivist-Timestamp"]
                mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
                with receiver.lock:
                    if not hmac.compare_digest("sha256=" + mac, self.headers["X-Archivist-Signature"]):
                        receiver.bad += 1
                    receiver.ids[self.headers["X-Archivist-Delivery"]] += 1
                    receiver.times.setdefault(json.loads(body)["name"], at)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def wait(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while len(self.times) < count and time.monotonic() < deadline:
            time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database(admin_url: str) -> Iterator[str]:
    name = f"archivist_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def servers(db_url: str, count: int, folder: str) -> Iterator[list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    env.update(ARCHIVIST_ADMIN_KEY=KEY, PYTHONPATH=REPO_ROOT)
    processes, urls = [], []
    for number in range(count):
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "archivist",
            "server",
            "--port",
            str(port),
            "--db",
            db_url,
            "--store",
            os.path.join(folder, "blobs"),
            "--allow-private-webhooks",
            "--automation-rate",
            "off",  # the dispatch itself is measured, not the per-automation limit
            "--no-request-log",
        ]
        log = open(os.path.join(folder, f"server-{number}.log"), "wb")  # noqa: SIM115
        processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")
        if number == 0:  # the first migrates the database; the others start on it
            _healthy(urls[0])
    try:
        for url in urls:
            _healthy(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)


def _healthy(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


def commit(backend: HttpBackend, name: str) -> float:
    """Log a one-file version of ``name``; the time the commit call started."""
    data = name.encode()
    transfer = HttpBlobTransfer(backend)
    manifest = Manifest([Entry("data.txt", hash_bytes(data), len(data))])
    manifest_bytes = manifest.to_bytes()
    transfer.upload_bytes(hash_bytes(data), data)
    transfer.upload_bytes(hash_bytes(manifest_bytes), manifest_bytes)
    started = time.perf_counter()
    backend.commit_version(
        CommitRequest(
            entity=ENTITY,
            project=PROJECT,
            name=name,
            type="dataset",
            digest=manifest.digest(),
            manifest_digest=hash_bytes(manifest_bytes),
        )
    )
    return started


def scenario(admin_url: str, replicas: int, events: int, burst: int, threads: int) -> dict[str, float]:
    receiver = Receiver()
    with (
        database(admin_url) as db_url,
        tempfile.TemporaryDirectory() as folder,
        servers(db_url, replicas, folder) as urls,
    ):
        clients = [HttpBackend(url, KEY) for url in urls]
        clients[0].create_webhook(ENTITY, "hook", receiver.url, signing_secret=SECRET)
        action = Action(ActionType.GENERIC_WEBHOOK, "hook", {"name": "${artifact_collection_name}"})
        clients[0].create_automation(
            NewAutomation("each", scope_for(ENTITY, PROJECT), EventType.CREATE_ARTIFACT, action)
        )
        for warm in range(20):
            commit(clients[warm % replicas], f"warm-{warm}")
        receiver.wait(20)

        started: dict[str, float] = {}
        spent: list[float] = []
        for number in range(events):
            name = f"paced-{number}"
            started[name] = commit(clients[number % replicas], name)
            spent.append(time.perf_counter() - started[name])
        receiver.wait(20 + events)
        latencies = sorted(receiver.times[name] - at for name, at in started.items())

        burst_started: dict[str, float] = {}
        lock = threading.Lock()

        def worker(index: int) -> None:
            client = HttpBackend(urls[index % replicas], KEY)
            for number in range(index, burst, threads):
                at = commit(client, f"burst-{number}")
                with lock:
                    burst_started[f"burst-{number}"] = at
            client.close()

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        first = time.perf_counter()
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        committed = time.perf_counter()
        receiver.wait(20 + events + burst)
        last = max(receiver.times[name] for name in burst_started)
        time.sleep(2)  # a second delivery of any event would arrive by now
        for client in clients:
            client.close()
    receiver.server.shutdown()
    total = 20 + events + burst
    return {
        "commit_median_ms": statistics.median(spent) * 1000,
        "latency_median_ms": statistics.median(latencies) * 1000,
        "latency_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "latency_max_ms": latencies[-1] * 1000,
        "burst_commits_per_s": burst / (committed - first),
        "burst_events_per_s": burst / (last - first),
        "received": len(receiver.ids),
        "duplicates": sum(count - 1 for count in receiver.ids.values()),
        "missing": total - len(receiver.times),
        "bad_signatures": receiver.bad,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    results = {
        replicas: scenario(args.postgres, replicas, args.events, args.burst, args.threads)
        for replicas in (1, 2)
    }
    print(
        f"{args.events} paced events, a burst of {args.burst} from {args.threads} clients, "
        "PostgreSQL on loopback"
    )
    print(f"{'':28}{'one server':>14}{'two replicas':>14}{'ratio':>8}")
    for key in results[1]:
        one, two = results[1][key], results[2][key]
        ratio = f"{two / one:.2f}x" if one else "-"
        print(f"{key:28}{one:>14.1f}{two:>14.1f}{ratio:>8}")


if __name__ == "__main__":
    main()
