"""Listing a big S3 prefix with ``add_reference``: speed and memory.
``python benchmarks/reference_listing.py [--objects 100000] [--moto 20000]``.

Two S3 endpoints on loopback, each a separate process:

- a listing server that answers ListObjectsV2 pages of 1,000 keys computed on
  the fly (constant time per page), so the time measured is Archivist's: the
  HTTP round trips, parsing and building one manifest entry per object;
- optionally moto's S3 server holding real objects (``--moto N``); moto scans
  every key for each page, so it slows down with N and bounds what tests can list.

Memory: ``add_reference`` runs in a fresh process that reports its RSS growth
and peak; the baseline is a fresh process that only builds the same number of
manifest entries in a list (what the draft must keep anyway). A ratio near 1
means the listing keeps nothing but the entries.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from tests.fixtures.servers import S3_TEST_ENV, free_port, running  # noqa: E402

PAGE = 1000
BUCKET = "bench"
PREFIX = "objects"


# --- the synthetic listing server (child process) ----------------------------------------------
def _key(index: int) -> str:
    return f"{PREFIX}/{index // 1000:04d}/{index:08d}.bin"


def _page(count: int, start: int) -> bytes:
    end = min(count, start + PAGE)
    contents = "".join(
        f"<Contents><Key>{_key(i)}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        f'<ETag>"{i:032x}"</ETag><Size>{1024 + i % 7}</Size><StorageClass>STANDARD</StorageClass></Contents>'
        for i in range(start, end)
    )
    truncated = end < count
    token = f"<NextContinuationToken>{end}</NextContinuationToken>" if truncated else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{BUCKET}</Name><Prefix>{PREFIX}/</Prefix><KeyCount>{end - start}</KeyCount>"
        f"<MaxKeys>{PAGE}</MaxKeys><IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
        f"{token}{contents}</ListBucketResult>"
    ).encode()


def serve_listing(count: int, port: int) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:  # the prefix is no object: 404, so it is listed
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            body = _page(count, int(query.get("continuation-token", ["0"])[0]))
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def serve_moto(count: int, port: int) -> None:
    """moto's S3 server with ``count`` objects put straight into its backend."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_bucket(BUCKET, "us-east-1")
    for index in range(count):
        backend.put_object(BUCKET, _key(index), b"x" * (1 + index % 7))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    while True:
        time.sleep(3600)


# --- measurements (child processes) --------------------------------------------------------------
def _rss_kib(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def measure_listing(endpoint: str, count: int, store: str) -> dict[str, float]:
    os.environ.update({**S3_TEST_ENV, "AWS_ENDPOINT_URL": endpoint, "ARCHIVIST_DIR": store})
    os.environ["ARCHIVIST_CACHE_DIR"] = os.path.join(store, "cache")
    import archivist
    from archivist.sdk.references.s3 import open_s3_bucket

    open_s3_bucket(BUCKET)  # load obstore and its runtime before measuring: a fixed cost
    draft = archivist.Artifact("bench", type="dataset")
    before = _rss_kib()
    started = time.perf_counter()
    entries = draft.add_reference(f"s3://{BUCKET}/{PREFIX}", max_objects=count)
    seconds = time.perf_counter() - started
    assert len(entries) == count, len(entries)
    return {"seconds": seconds, "rss_growth_kib": _rss_kib() - before, "peak_kib": _rss_kib("VmHWM") - before}


def measure_entries_only(count: int) -> dict[str, float]:
    """Baseline: the entries themselves, in the draft's manifest, built without any listing."""
    from archivist.core.manifest import Entry
    from archivist.sdk.draft_contents import DraftContents

    contents = DraftContents(lambda: None)
    before = _rss_kib()
    started = time.perf_counter()
    entries = [
        Entry(
            path=_key(i)[len(PREFIX) + 1 :],
            digest=f"{i:032x}",
            size=1024 + i % 7,
            ref=f"s3://{BUCKET}/{_key(i)}",
            extra={"etag": f"{i:032x}"},
        )
        for i in range(count)
    ]
    contents.add_entries(entries)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rss_growth_kib": _rss_kib() - before, "peak_kib": _rss_kib("VmHWM") - before}


def _child(args: list[str]) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _report(label: str, count: int, row: dict[str, float], base: dict[str, float]) -> None:
    print(
        f"{label:<34} {count:>9,} objects {row['seconds']:8.2f} s {count / row['seconds']:>10,.0f} obj/s  "
        f"RSS +{row['rss_growth_kib'] / 1024:7.1f} MiB (peak +{row['peak_kib'] / 1024:7.1f} MiB)  "
        f"peak / entries-only peak {row['peak_kib'] / max(base['peak_kib'], 1):5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000, help="objects under the synthetic prefix")
    parser.add_argument("--moto", type=int, default=0, help="also list this many objects from moto")
    parser.add_argument("--store", default="/tmp/archivist-bench-refs", help="scratch store folder")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "serve-listing":
            serve_listing(int(rest[0]), int(rest[1]))
        elif kind == "serve-moto":
            serve_moto(int(rest[0]), int(rest[1]))
        elif kind == "list":
            print(json.dumps(measure_listing(rest[0], int(rest[1]), rest[2])))
        elif kind == "entries":
            print(json.dumps(measure_entries_only(int(rest[0]))))
        return

    runs = [("synthetic ListObjectsV2 server", "serve-listing", args.objects)]
    if args.moto:
        runs.append(("moto S3 server (real objects)", "serve-moto", args.moto))
    for label, serve, count in runs:
        base = _child(["--child", "entries", str(count)])
        _report("baseline: build the entries only", count, base, base)
        port = free_port()
        command = [sys.executable, __file__, "--child", serve, str(count), str(port)]
        with running(command, port):
            row = _child(["--child", "list", f"http://127.0.0.1:{port}", str(count), args.store])
        _report(f"add_reference via {label}", count, row, base)


if __name__ == "__main__":
    main()
