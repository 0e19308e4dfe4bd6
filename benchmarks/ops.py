"""Archivist's operations under benchmark, through the public API only.

Each operation runs in a fresh child process (``ops.py NAME PARAMS_JSON``) against
whatever store the environment names: the embedded store under ``ARCHIVIST_DIR``,
or a server when ``ARCHIVIST_BASE_URL`` is set. The child times the whole
user-visible call sequence (``init`` ... run end, or ``Api()`` ... ``download``)
and leaves interpreter start-up and ``import archivist`` out.

An operation the SDK does not offer yet has a probe that says so; the benchmark
then prints "not available yet" instead of a number. The probes look for the
names the issue asks for; adjust them when the API lands under another name.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PROJECT = "bench"
MIB = 1 << 20


@dataclass(frozen=True)
class Target:
    """A goal from the issue: a ratio to the baseline and/or a peak-RSS bound."""

    ratio: float | None = None
    rss_bytes: int | None = None

    def describe(self) -> str:
        parts = []
        if self.ratio is not None:
            parts.append(f"<={self.ratio:g}x")
        if self.rss_bytes is not None:
            parts.append(f"RSS<{self.rss_bytes // MIB}MB")
        return " ".join(parts)

    def met(self, ratio: float | None, rss_bytes: int | None) -> bool:
        if self.ratio is not None and (ratio is None or ratio > self.ratio):
            return False
        return self.rss_bytes is None or (rss_bytes is not None and rss_bytes < self.rss_bytes)


@dataclass(frozen=True)
class OwnStore:
    """An embedded store (with its own client cache) that some operations use instead of the
    run's shared one: for large data, or for a store set up differently."""

    name: str
    env: tuple[tuple[str, str], ...] = ()
    """Settings of every process using it."""
    removed_after_use: bool = False
    """Removed after the last operation that uses it: only for stores of a few large files
    (deleting many files right before a timed step slows that step on this VM's ext4)."""


W5_STORE = OwnStore("store-w5", removed_after_use=True)
LINKABLE_STORE = OwnStore("store-linkable", env=(("ARCHIVIST_PACK_SMALL_BLOBS", "0"),))
"""The opt-in for link-mode downloads: a store that keeps every blob as a file of its own."""


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    workload: str
    """Which data it handles (``w2``, ``w4``, ``w1``, ``w5``, ``m1``): the files and bytes of the rates."""
    baseline: str | None
    target: Target | None = None
    server_target: Target | None = None
    requires: tuple[str, ...] = ()
    """Operations that must have run in the same store first (run unreported if not selected)."""
    probe: Callable[[], str | None] | None = None
    """Says why the operation cannot run yet, or None."""
    own_store: OwnStore | None = None
    """Use this store of its own instead of the run's shared one (embedded runs only)."""


def _download_link_probe() -> str | None:
    from archivist.sdk.artifact import Artifact

    if "link" not in inspect.signature(Artifact.download).parameters:
        return "not available yet: Artifact.download() has no link mode"
    return None


def _list_prefix_probe() -> str | None:
    from archivist.sdk.artifact import Artifact

    if "path_prefix" not in inspect.signature(Artifact.files).parameters:
        return "not available: Artifact.files() cannot list by path_prefix yet"
    return None


def _diff_probe() -> str | None:
    from archivist.sdk.artifact import Artifact

    if not hasattr(Artifact, "diff"):
        return "not available: there is no Artifact.diff() yet"
    return None


RSS_LIMIT = Target(rss_bytes=300 * MIB)

OPERATIONS: list[Operation] = [
    Operation("log_w2", "log W2", "w2", "cp_w2", Target(ratio=1.0), Target(ratio=3.0)),
    Operation("relog_w2", "re-log W2 unchanged", "w2", "stat_w2", Target(ratio=5.0), requires=("log_w2",)),
    Operation("download_w2", "download W2 (latest)", "w2", "cp_w2", Target(ratio=1.5), Target(ratio=3.0),
              requires=("log_w2",)),
    Operation("download_w2_link", "download W2, link mode", "w2", "cp_w2", Target(ratio=0.5),
              requires=("log_w2",), probe=_download_link_probe),
    Operation("download_w2_link_again", "download W2, link mode, again", "w2", "cp_w2", Target(ratio=0.5),
              requires=("download_w2_link",), probe=_download_link_probe),
    Operation("log_w2_linkable", "log W2, linkable store", "w2", "cp_w2",
              own_store=LINKABLE_STORE),
    Operation("download_w2_link_linkable", "download W2, link, linkable store", "w2", "cp_w2",
              Target(ratio=0.5), requires=("log_w2_linkable",), probe=_download_link_probe,
              own_store=LINKABLE_STORE),
    Operation("log_w4", "log W4 (1% changed, 1% added)", "w4", "cp_w2", Target(ratio=0.5),
              requires=("log_w2",)),
    Operation("log_w1", "log W1", "w1", "cp_w1", Target(ratio=1.5), Target(ratio=3.0)),
    Operation("download_w1", "download W1", "w1", "cp_w1", Target(ratio=1.2), Target(ratio=3.0),
              requires=("log_w1",)),
    Operation("log_w5", "log W5", "w5", "cp_w5", RSS_LIMIT, RSS_LIMIT, own_store=W5_STORE),
    Operation("download_w5", "download W5", "w5", "cp_w5", RSS_LIMIT, RSS_LIMIT, requires=("log_w5",),
              own_store=W5_STORE),
    Operation("log_m1", "log M1", "m1", "json_m1"),
    Operation("read_m1", "read M1's whole manifest", "m1", "decode_m1", requires=("log_m1",)),
    Operation("list_m1", "list M1 by path_prefix", "m1", None, requires=("log_m1",),
              probe=_list_prefix_probe),
    Operation("log_m1_next", "log M1 next version (1% changed)", "m1", "json_m1", requires=("log_m1",)),
    Operation("diff_m1", "diff two M1 versions", "m1", None, requires=("log_m1", "log_m1_next"),
              probe=_diff_probe),
]  # fmt: skip
BY_NAME = {op.name: op for op in OPERATIONS}


# --- the child side ------------------------------------------------------------------------------


def _log(name: str, add: Callable[[Any], None]) -> dict[str, Any]:
    import archivist

    with archivist.init(project=PROJECT, job_type="benchmark") as run:
        artifact = archivist.Artifact(name, type="dataset")
        add(artifact)
        run.log_artifact(artifact)
        artifact.wait()
    return {"version": artifact.version, "files": artifact.file_count}


def _fetch(name: str, selector: str = "latest") -> Any:
    import archivist

    return archivist.Api().artifact(f"{PROJECT}/{name}:{selector}")


def _download(name: str, dest: str, **options: Any) -> dict[str, Any]:
    artifact = _fetch(name)
    artifact.download(root=dest, **options)
    return {"version": artifact.version}


def _log_m1(params: dict[str, Any], variant: int) -> dict[str, Any]:
    from workloads import Sizes, m1_entries

    sizes = Sizes(m1_entries=int(params["m1_entries"]), m1_per_folder=int(params["m1_per_folder"]))

    def add(artifact: Any) -> None:
        for path, uri in m1_entries(sizes, params["data"], variant):
            artifact.add_reference(uri, name=path, checksum=False)

    return _log("m1", add)


def _read_m1() -> dict[str, Any]:
    artifact = _fetch("m1")
    return {"version": artifact.version, "files": len(artifact.manifest.entries)}


def _list_m1() -> dict[str, Any]:
    artifact = _fetch("m1")
    listed = artifact.files(path_prefix="shard0000/")
    return {"version": artifact.version, "files": len(list(listed))}


def _diff_m1() -> dict[str, Any]:
    new, old = _fetch("m1", "v1"), _fetch("m1", "v0")
    difference = new.diff(old)
    return {"version": new.version, "difference": repr(difference)[:200]}


CHILD_ACTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "log_w2": lambda p: _log("w2", lambda a: a.add_dir(p["work"])),
    "relog_w2": lambda p: _log("w2", lambda a: a.add_dir(p["work"])),
    "log_w4": lambda p: _log("w2", lambda a: a.add_dir(p["work"])),
    "download_w2": lambda p: _download("w2", p["dest"]),
    "download_w2_link": lambda p: _download("w2", p["dest"], link=True),
    "log_w2_linkable": lambda p: _log("w2", lambda a: a.add_dir(p["work"])),
    "download_w2_link_linkable": lambda p: _download("w2", p["dest"], link=True),
    # The first link download of packed blobs writes each one as a file once; later ones only link.
    "download_w2_link_again": lambda p: _download("w2", p["dest"], link=True),
    "log_w1": lambda p: _log("w1", lambda a: a.add_file(p["w1"])),
    "download_w1": lambda p: _download("w1", p["dest"]),
    "log_w5": lambda p: _log("w5", lambda a: a.add_file(p["w5"])),
    "download_w5": lambda p: _download("w5", p["dest"]),
    "log_m1": lambda p: _log_m1(p, 0),
    "read_m1": lambda p: _read_m1(),
    "list_m1": lambda p: _list_m1(),
    "log_m1_next": lambda p: _log_m1(p, 1),
    "diff_m1": lambda p: _diff_m1(),
}


# Run once before the operations so that a fresh store's schema is made by the warm-up of
# this child, not in the first operation.
CHILD_ACTIONS["open_store"] = lambda params: {}


def main(argv: list[str]) -> None:
    """Warm up (imports, opening the store) untimed, then time the operation.

    The warm-up is what any process pays once before its first call; it shows in the
    process time of the report, not in the operation's seconds.
    """
    from measure import report_result, timed

    name, params = argv[0], json.loads(argv[1])
    action = CHILD_ACTIONS[name]
    startup, _ = timed(_warm_up)
    profile_dir = params.get("profile_dir")
    if profile_dir:
        seconds, result = timed(lambda: _profiled(os.path.join(profile_dir, f"{name}.prof"), action, params))
    else:
        seconds, result = timed(lambda: action(params))
    report_result(seconds, startup_seconds=startup, **result)


def _profiled(path: str, action: Callable[[dict[str, Any]], dict[str, Any]], params: dict[str, Any]) -> Any:
    """Run ``action`` under cProfile (threads too) and save the stats to ``path``."""
    import cProfile
    import threading

    profiles: list[cProfile.Profile] = []

    def profile_thread(*args: Any) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()  # replaces this hook for the rest of the thread

    threading.setprofile(profile_thread)
    main = cProfile.Profile()
    try:
        with main:
            return action(params)
    finally:
        threading.setprofile(None)
        for profile in profiles:
            profile.disable()
        main.create_stats()
        import pstats

        stats = pstats.Stats(main)
        for profile in profiles:
            profile.create_stats()
            stats.add(profile)
        stats.dump_stats(path)


def _warm_up() -> None:
    import archivist

    archivist.init, archivist.Artifact  # noqa: B018 - lazily loaded names
    archivist.Api().artifact_exists(f"{PROJECT}/warm-up")


if __name__ == "__main__":
    main(sys.argv[1:])
