"""One benchmark run: repetitions over fresh stores, each operation beside its baselines.

Every repetition gets a scratch folder next to the data (same filesystem, so the
working copy of W2 can be made of hard links) holding a fresh store, a fresh client
cache, the copies made by ``cp`` and the downloads. Nothing with many files is
deleted until every repetition is done: on this VM's ext4 the first burst of file
creations after a mass delete costs seconds, which would land in a timed step.
Single large files (copies and downloads of W1 and W5) are removed as soon as they
have been measured, to bound the disk used. Dirty pages are flushed (``sync``)
before each timed step so one step's writeback does not slow the next.

Before each step on W1 (the baseline ``cp`` too), a file of 1.25x W1's size is written
and deleted. On the VMs we measured on, the same ``cp`` of 1 GiB took 0.3 s right after
a file of that size was deleted and 1.9-2.5 s after a few GiB had been written without
deleting anything (the guest's memory reclaim -- a DAMON ``pageout`` scheme -- and dirty
page throttling), so single W1 figures depended on what ran before them. Every W1 step,
ours, the peers' and the baseline's, thus starts alike; W1 figures still move between runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from baselines import BASELINES, run_baseline
from measure import ChildRun, TreeSize, median, python_child, run_child, tree_size
from ops import OPERATIONS, Operation, OwnStore
from peers import PEER_OPERATIONS, Peer, mlflow_server, peer_env
from report import BaselineRow, OperationRow, PeerRow, Stat
from server_mode import Target, embedded, server
from workloads import Workloads, apply_w4_change, link_copy

# Baselines shown for a workload besides the ones the targets name.
EXTRA_BASELINES = {
    "w2": ("stat_w2", "read_w2", "blake3_w2", "link_w2"),
    "w4": ("stat_w2", "read_w2", "blake3_w2", "link_w2"),
    "w1": ("read_w1", "blake3_w1"),
}
_BIG_SINGLE_FILE_WORKLOADS = ("w1", "w5")
_WARMED_WORKLOADS = ("w1",)
"""Workloads whose steps start with freshly freed memory (see the module docstring)."""
_WARM_CHUNK = bytes(1 << 20)


@dataclass(frozen=True)
class Plan:
    workloads: Workloads
    selected: list[Operation]
    repeat: int
    peers: list[Peer]
    server: bool
    scratch_root: str
    profile_dir: str | None = None
    extra_baselines: bool = True
    """Also measure the baselines no target names (read, BLAKE3, stat walk, hard links)."""


@dataclass
class Samples:
    """Everything measured, over all repetitions."""

    operations: dict[str, list[ChildRun]] = field(default_factory=lambda: defaultdict(list))
    store_added: dict[str, list[TreeSize]] = field(default_factory=lambda: defaultdict(list))
    baselines: dict[str, list[ChildRun]] = field(default_factory=lambda: defaultdict(list))
    peers: dict[tuple[str, str], list[ChildRun]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, str] = field(default_factory=dict)
    """Operation, baseline or ``peer:operation`` -> why it failed."""


def unavailable_reasons(operations: Sequence[Operation]) -> dict[str, str]:
    return {op.name: reason for op in operations if op.probe is not None and (reason := op.probe())}


def expand(selected: Sequence[Operation], unavailable: dict[str, str]) -> list[Operation]:
    """The selected available operations plus what they require, in run order."""
    wanted: set[str] = set()
    pending = [op.name for op in selected if op.name not in unavailable]
    by_name = {op.name: op for op in OPERATIONS}
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(by_name[name].requires)
    return [op for op in OPERATIONS if op.name in wanted]


def run_plan(plan: Plan, unavailable: dict[str, str], progress: Any) -> Samples:
    samples = Samples()
    steps = expand(plan.selected, unavailable)
    for index in range(plan.repeat):
        _Repetition(plan, steps, samples, os.path.join(plan.scratch_root, f"rep{index}"), progress).run()
    return samples


class _Repetition:
    def __init__(
        self, plan: Plan, steps: list[Operation], samples: Samples, root: str, progress: Any
    ) -> None:
        self.plan = plan
        self.steps = steps
        self.samples = samples
        self.root = root
        self.scratch = os.path.join(root, "scratch")
        self.work = os.path.join(root, "work-w2")
        self.progress = progress
        self.selected = {op.name for op in plan.selected}
        self.peer_done: set[tuple[str, str]] = set()
        self.mlflow_url: str | None = None

    def run(self) -> None:
        os.makedirs(self.scratch)
        workloads = self.plan.workloads
        if any(op.workload in ("w2", "w4") for op in self.steps):
            link_copy(workloads.w2, self.work)
        with contextlib.ExitStack() as stack:
            target = self._target(stack)
            self._open_store(target)
            self._baselines()
            own: dict[str, Target] = {}
            for position, op in enumerate(self.steps):
                if op.own_store is not None and not self.plan.server:
                    self._operation(op, self._own_target(op.own_store, own))
                    if op.own_store.removed_after_use and not any(
                        later.own_store == op.own_store for later in self.steps[position + 1 :]
                    ):
                        shutil.rmtree(own.pop(op.own_store.name).store_dir)
                else:
                    self._operation(op, target)
                self._peers(op, stack)

    def _own_target(self, store: OwnStore, opened: dict[str, Target]) -> Target:
        """The target of an operation's own store, opened at its first use."""
        if store.name not in opened:
            home = os.path.join(self.root, store.name)
            target = embedded(home, os.path.join(self.root, f"cache-{store.name}"))
            target.env.update(store.env)
            self._open_store(target)
            opened[store.name] = target
        return opened[store.name]

    def _target(self, stack: contextlib.ExitStack) -> Target:
        cache = os.path.join(self.root, "cache")
        if self.plan.server:
            return stack.enter_context(server(os.path.join(self.root, "server"), cache))
        return embedded(os.path.join(self.root, "store"), cache)

    def _open_store(self, target: Target) -> None:
        child = run_child(python_child("ops.py", "open_store", "{}"), env=target.env)
        if not child.ok:
            raise RuntimeError(f"cannot open the store ({target.description}): {child.failure()}")

    def _paths(self) -> dict[str, str]:
        w = self.plan.workloads
        return {
            "w1": w.w1,
            "w2": w.w2,
            "w5": w.w5,
            "data": w.root,
            "scratch": self.scratch,
            "m1_entries": str(w.sizes.m1_entries),
            "m1_per_folder": str(w.sizes.m1_per_folder),
        }

    def _baselines(self) -> None:
        wanted = {op.baseline for op in self.plan.selected if op.baseline is not None}
        for op in self.plan.selected if self.plan.extra_baselines else ():
            wanted.update(EXTRA_BASELINES.get(op.workload, ()))
        for name, baseline in BASELINES.items():
            if name not in wanted:
                continue
            self.progress(f"baseline {baseline.title}")
            self._settle(baseline.workload)
            child = run_baseline(baseline, self._paths())
            if child.ok:
                self.samples.baselines[name].append(child)
            else:
                self.samples.errors[name] = child.failure()
            if baseline.workload in _BIG_SINGLE_FILE_WORKLOADS and baseline.makes_files:
                _remove(os.path.join(self.scratch, f"cp-{baseline.workload}.bin"))

    def _operation(self, op: Operation, target: Target) -> None:
        sizes = self.plan.workloads.sizes
        if op.name == "log_w4":
            apply_w4_change(self.work, sizes)
        dest = os.path.join(self.scratch, op.name)
        params = {**self._paths(), "work": self.work, "dest": dest, "profile_dir": self.plan.profile_dir}
        self.progress(f"{op.title}{'' if op.name in self.selected else ' (setup)'}")
        self._settle(op.workload)
        before = tree_size(target.store_dir)
        child = run_child(python_child("ops.py", op.name, _json(params)), env=target.env)
        added = tree_size(target.store_dir) - before
        if not child.ok:
            self.samples.errors[op.name] = child.failure()
            return
        problem = self._check_download(op, dest)
        if problem is not None:
            self.samples.errors[op.name] = problem
        self.samples.operations[op.name].append(child)
        self.samples.store_added[op.name].append(added)
        if op.workload in _BIG_SINGLE_FILE_WORKLOADS:
            _remove(dest)

    def _settle(self, workload: str) -> None:
        """Flush dirty pages; before a W1 step, also free 1.25x W1's size of freshly touched memory."""
        os.sync()
        if workload not in _WARMED_WORKLOADS:
            return
        path = os.path.join(self.scratch, "warm-pages.bin")
        chunks = self.plan.workloads.sizes.w1_bytes * 5 // 4 // len(_WARM_CHUNK) + 1
        with open(path, "wb") as file:
            for _ in range(chunks):
                file.write(_WARM_CHUNK)
        os.remove(path)  # its dirty pages are dropped, never written back

    def _check_download(self, op: Operation, dest: str) -> str | None:
        if not op.name.startswith("download_"):
            return None
        expected = {"w2": self.plan.workloads.w2_stats()[0]}.get(op.workload, 1)
        found = tree_size(dest).files
        if found != expected:
            return f"downloaded {found} files into {dest}, expected {expected}"
        return None

    def _peers(self, op: Operation, stack: contextlib.ExitStack) -> None:
        for peer in self.plan.peers:
            if not peer.supports(op.name):
                continue
            key = f"{peer.name}:{op.name}"
            missing = [r for r in op.requires if peer.supports(r) and (peer.name, r) not in self.peer_done]
            if missing:
                continue  # a required step of this peer failed earlier
            params = self._peer_params(peer, op, stack)
            if params is None:
                continue
            self.progress(f"  {peer.title}: {op.title}")
            self._settle(op.workload)
            child = run_child(
                python_child("peers.py", peer.name, op.name, _json(params)),
                env=peer_env(os.path.join(self.root, "peers")),
            )
            if child.ok:
                self.peer_done.add((peer.name, op.name))
                self.samples.peers[(peer.name, op.name)].append(child)
            else:
                self.samples.errors[key] = child.failure()
            if op.workload in _BIG_SINGLE_FILE_WORKLOADS:
                _remove(params["dest"])

    def _peer_params(self, peer: Peer, op: Operation, stack: contextlib.ExitStack) -> dict[str, Any] | None:
        state = os.path.join(self.root, "peers", peer.name)
        params: dict[str, Any] = {
            **self._paths(),
            "work": self.work,
            "state": state,
            "dest": os.path.join(self.scratch, f"{peer.name}-{op.name}"),
            "sizes": asdict(self.plan.workloads.sizes),
        }
        if peer.needs_server:
            if self.mlflow_url is None:
                try:
                    self.mlflow_url = stack.enter_context(mlflow_server(os.path.join(state, "server")))
                except Exception as exc:
                    self.samples.errors[f"{peer.name}:{op.name}"] = f"server did not start: {exc}"
                    return None
            params["mlflow_url"] = self.mlflow_url
        return params


def _json(params: dict[str, Any]) -> str:
    import json

    return json.dumps(params)


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


# --- from samples to rows ------------------------------------------------------------------------


def stat_of(runs: Sequence[ChildRun]) -> Stat | None:
    if not runs:
        return None
    return Stat(
        seconds=median([r.seconds for r in runs]),
        wall_seconds=median([r.wall_seconds for r in runs]),
        peak_rss_bytes=_median_or_none([r.peak_rss_bytes for r in runs]),
        repeats=len(runs),
    )


def _median_or_none(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return int(median(known)) if known else None


def _median_tree(sizes: Sequence[TreeSize]) -> TreeSize | None:
    if not sizes:
        return None
    return TreeSize(
        int(median([s.files for s in sizes])),
        int(median([s.apparent_bytes for s in sizes])),
        int(median([s.allocated_bytes for s in sizes])),
    )


def _workload_stats(workloads: Workloads, workload: str) -> tuple[int, int]:
    sizes = workloads.sizes
    return {
        "w2": workloads.w2_stats,
        "w4": workloads.w4_stats,
        "w1": lambda: (1, sizes.w1_bytes),
        "w5": lambda: (1, sizes.w5_bytes),
        "m1": lambda: (sizes.m1_entries, 0),
    }[workload]()


def baseline_rows(plan: Plan, samples: Samples) -> list[BaselineRow]:
    rows = []
    for name, baseline in BASELINES.items():
        runs = samples.baselines.get(name, [])
        if not runs and name not in samples.errors:
            continue
        files, nbytes = _workload_stats(plan.workloads, baseline.workload)
        rows.append(BaselineRow(name, baseline.title, stat_of(runs), files, nbytes, samples.errors.get(name)))
    return rows


def operation_rows(
    plan: Plan, samples: Samples, unavailable: dict[str, str], baselines: Sequence[BaselineRow]
) -> list[OperationRow]:
    by_baseline = {b.name: b for b in baselines}
    rows = []
    for op in plan.selected:
        files, nbytes = _workload_stats(plan.workloads, op.workload)
        row = OperationRow(op.name, op.title, files, nbytes)
        target = op.server_target if plan.server else op.target
        row.baseline = by_baseline.get(op.baseline) if op.baseline else None
        runs = samples.operations.get(op.name, [])
        row.stat = stat_of(runs)
        row.store_added = _median_tree(samples.store_added.get(op.name, []))
        if runs:
            row.result = {k: v for k, v in runs[-1].payload.items() if k != "seconds"}
        if op.name in unavailable:
            row.note = unavailable[op.name]
        elif op.name in samples.errors:
            row.note = f"failed: {samples.errors[op.name]}"
        if row.stat is not None and target is not None:
            row.target = target.describe()
            met = target.met(row.ratio(), row.stat.peak_rss_bytes)
            row.target_met = met and op.name not in samples.errors
        row.peers = [_peer_row(peer, op, samples) for peer in plan.peers if op.name in PEER_OPERATIONS]
        rows.append(row)
    return rows


def _peer_row(peer: Peer, op: Operation, samples: Samples) -> PeerRow:
    row = PeerRow(peer.name, peer.title, stat_of(samples.peers.get((peer.name, op.name), [])))
    if not peer.supports(op.name):
        row.note = peer.unsupported.get(op.name, "not supported")
    elif row.stat is None:
        row.note = f"failed: {samples.errors.get(f'{peer.name}:{op.name}', 'a required step failed')}"
    return row
