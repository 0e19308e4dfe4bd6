"""Archivist's benchmark: ``python benchmarks/run.py [--quick] [--only NAME,...] [--repeat N]
[--json FILE] [--peers [NAMES]] [--server] [--data DIR] [--keep]``.

Generates the workloads (see ``workloads.py``) in the data folder (default
/tmp/archivist-bench; never inside the repository), runs each operation in a fresh
process against a fresh store and prints, per operation, seconds, files/s, MB/s,
peak RSS and bytes added to the store, beside a baseline measured in the same run
and the ratio to it. Nothing in CI asserts on these times.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from typing import Any

from ops import BY_NAME, OPERATIONS
from peers import PEERS
from report import format_baselines, format_operations, format_size, to_json
from server_mode import ServerUnavailable
from suite import Plan, baseline_rows, operation_rows, run_plan, unavailable_reasons
from workloads import FULL, QUICK, ensure_generated

DEFAULT_DATA = "/tmp/archivist-bench"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Measure Archivist against cp, read, BLAKE3 and stat baselines (and optional peers).",
    )
    parser.add_argument("--data", default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test of a few seconds")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME[,NAME]",
        help=f"run only these operations: {', '.join(op.name for op in OPERATIONS)}",
    )
    parser.add_argument("--repeat", type=int, default=1, help="repetitions; medians are shown (default 1)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--peers",
        nargs="?",
        const="all",
        metavar="NAMES",
        help=f"also run the installed peers (all, or some of: {', '.join(PEERS)})",
    )
    parser.add_argument("--server", action="store_true", help="run against `archivist server` on loopback")
    parser.add_argument("--keep", action="store_true", help="keep the stores and copies of this run")
    parser.add_argument(
        "--profile", metavar="DIR", help="run each operation under cProfile; stats go to DIR/<operation>.prof"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    data = os.path.abspath(args.data)
    if os.path.commonpath([data, REPO_ROOT]) == REPO_ROOT:
        parser.error(f"--data {args.data} is inside the repository; choose a folder outside {REPO_ROOT}")
    args.data = data
    names = [n.strip() for value in args.only for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown operation {unknown[0]!r}; choose from {', '.join(BY_NAME)}")
    args.selected = [op for op in OPERATIONS if not names or op.name in names]
    if args.peers is not None:
        wanted = list(PEERS) if args.peers == "all" else [p.strip() for p in args.peers.split(",")]
        bad = [p for p in wanted if p not in PEERS]
        if bad:
            parser.error(f"unknown peer {bad[0]!r}; choose from {', '.join(PEERS)}")
        args.peer_names = wanted
    else:
        args.peer_names = []
    return args


def _say(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    sizes = QUICK if args.quick else FULL
    profile_root = os.path.join(args.data, "quick" if args.quick else "full")
    needed = {op.workload for op in args.selected}
    if "w4" in needed:
        needed.add("w2")  # W4 is made from a working copy of W2
    _say("preparing workloads in " + profile_root)
    workloads = ensure_generated(profile_root, sizes, needed)
    peers = [PEERS[name] for name in args.peer_names if PEERS[name].installed()]
    missing_peers = [PEERS[name] for name in args.peer_names if not PEERS[name].installed()]
    unavailable = unavailable_reasons(args.selected)
    scratch = os.path.join(profile_root, "runs", f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    profile_dir = os.path.abspath(args.profile) if args.profile else None
    if profile_dir:
        os.makedirs(profile_dir, exist_ok=True)
    plan = Plan(
        workloads, args.selected, args.repeat, peers, args.server, scratch, profile_dir,
        extra_baselines=not args.quick,  # the smoke test measures only what the targets name
    )  # fmt: skip
    load_before = os.getloadavg()[0]
    try:
        samples = run_plan(plan, unavailable, _say)
    except ServerUnavailable as exc:
        print(str(exc))
        return 1
    else:
        return _report(args, plan, samples, unavailable, missing_peers, load_before)
    finally:  # after the report: removing many files is slow and need not be waited for
        if not args.keep:
            _say("removing " + scratch)
            _remove_tree(scratch)


def _report(
    args: argparse.Namespace,
    plan: Plan,
    samples: Any,
    unavailable: dict[str, str],
    missing_peers: list[Any],
    load_before: float,
) -> int:
    """Print the tables (and write the JSON); 1 when a measurement failed."""
    baselines = baseline_rows(plan, samples)
    rows = operation_rows(plan, samples, unavailable, baselines)
    header = _header(args, plan.workloads, plan.workloads.sizes)
    header["load_average"] = [load_before, os.getloadavg()[0]]
    header["lines"].append(
        f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after: "
        "other processes on this machine share its CPUs"
    )
    lines = [*header["lines"], "", *format_baselines(baselines), "", *format_operations(rows)]
    if args.peer_names:
        lines.append("")
        lines += [f"peer {p.name} ({p.title}): not installed (pip install 'archivist[bench-peers]')"
                  for p in missing_peers]  # fmt: skip
        lines += [f"peer {p.name}: {p.title}" for p in plan.peers]
    print("\n".join(lines), flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(to_json({k: v for k, v in header.items() if k != "lines"}, baselines, rows))
    failed = [row.name for row in rows if row.note and row.note.startswith("failed")]
    failed += [b.name for b in baselines if b.stat is None]
    return 1 if failed else 0


def _header(args: argparse.Namespace, workloads: Any, sizes: Any) -> dict[str, Any]:
    import archivist

    w2_files, w2_bytes = workloads.w2_stats()
    mode = "server on loopback (SQLite + folder store)" if args.server else "embedded store"
    lines = [
        f"Archivist {archivist.__version__} benchmark: {mode}; {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}; {platform.system()} {platform.release()}",
        f"data {workloads.root}; {'quick sizes; ' if args.quick else ''}"
        f"medians of {args.repeat} run(s); page cache warm; each step in a fresh process",
        f"W1 = 1 file of {format_size(sizes.w1_bytes)}; W2 = {w2_files:,} files, {format_size(w2_bytes)} in "
        f"{sizes.w2_folders} folders; W4 = W2 with 1% rewritten + 1% added; "
        f"W5 = 1 file of {format_size(sizes.w5_bytes)}; "
        f"M1 = {sizes.m1_entries:,} file:// references (checksum=False, no files on disk)",
    ]
    return {
        "lines": lines,
        "archivist_version": archivist.__version__,
        "mode": "server" if args.server else "embedded",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "quick": args.quick,
        "repeat": args.repeat,
        "data": workloads.root,
        "sizes": dataclasses.asdict(sizes),
        "peers": args.peer_names,
    }


def _remove_tree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
