"""Incremental drafts build on their collection's latest version (SPEC §2.9), and a
lookup of ``name:latest`` right after ``log_artifact`` waits for that log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import archivist
from archivist.core.errors import PathNotFoundError

pytestmark = pytest.mark.usefixtures("archivist_env")


def _draft(name: str, files: dict[str, bytes], _tmp: Path, incremental: bool = False) -> archivist.Artifact:
    art = archivist.Artifact(name, type="dataset", incremental=incremental)
    for rel, data in files.items():
        with art.new_file(rel, mode="wb") as handle:
            handle.write(data)
    return art


def _contents(path: str, tmp_path: Path) -> dict[str, bytes]:
    root = Path(archivist.Api().artifact(path).download(root=str(tmp_path / "out" / path.replace(":", "-"))))
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_an_incremental_draft_applies_its_changes_to_the_latest_version(tmp_path: Path) -> None:
    base = {"a.txt": b"a0", "b.txt": b"b0", "dir/x.txt": b"x0", "dir/y.txt": b"y0", "keep.txt": b"k0"}
    with archivist.init(project="p") as run:
        run.log_artifact(_draft("ds", base, tmp_path)).wait()
        step = _draft("ds", {"a.txt": b"a1", "c.txt": b"c1"}, tmp_path, incremental=True)
        step.remove("b.txt")  # in the latest version, not in the draft
        step.remove("dir")  # a folder of the latest version
        logged = run.log_artifact(step).wait()
    assert logged.version == "v1"
    assert _contents("p/ds:v1", tmp_path) == {"a.txt": b"a1", "c.txt": b"c1", "keep.txt": b"k0"}
    assert _contents("p/ds:v0", tmp_path) == base  # the version built on is unchanged


def test_an_incremental_draft_of_a_new_collection_is_its_first_version(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        logged = run.log_artifact(_draft("fresh", {"a.txt": b"a"}, tmp_path, incremental=True)).wait()
    assert logged.version == "v0"
    assert _contents("p/fresh:v0", tmp_path) == {"a.txt": b"a"}


def test_an_incremental_draft_that_changes_nothing_is_the_latest_version(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        run.log_artifact(_draft("same", {"a.txt": b"a", "b.txt": b"b"}, tmp_path)).wait()
        again = run.log_artifact(_draft("same", {"a.txt": b"a"}, tmp_path, incremental=True)).wait()
    assert again.version == "v0"
    assert archivist.Api().artifact("p/same:latest").version == "v0"


def test_an_incremental_removal_found_nowhere_names_the_path(tmp_path: Path) -> None:
    with archivist.init(project="p") as run:
        run.log_artifact(_draft("rm", {"a.txt": b"a"}, tmp_path)).wait()
        step = _draft("rm", {"b.txt": b"b"}, tmp_path, incremental=True)
        step.remove("nothing.txt")
        with pytest.raises(PathNotFoundError, match="'nothing.txt'"):
            run.log_artifact(step)
    assert archivist.Api().artifact("p/rm:latest").version == "v0"


def test_an_incremental_draft_builds_on_a_log_still_running(tmp_path: Path) -> None:
    """The version logged just before in this process is the one built on, not the one before."""
    with archivist.init(project="p") as run:
        run.log_artifact(_draft("chain", {"a.txt": b"a"}, tmp_path))
        run.log_artifact(_draft("chain", {"b.txt": os.urandom(4 << 20)}, tmp_path, incremental=True))
        last = run.log_artifact(_draft("chain", {"c.txt": b"c"}, tmp_path, incremental=True)).wait()
    assert last.version == "v2"
    assert sorted(_contents("p/chain:v2", tmp_path)) == ["a.txt", "b.txt", "c.txt"]


def test_use_artifact_right_after_log_artifact_waits_for_that_log(tmp_path: Path) -> None:
    big = os.urandom(8 << 20)  # a log that takes a moment in the background
    with archivist.init(project="p") as run:
        run.log_artifact(_draft("fresh", {"w.bin": big}, tmp_path))
        used = run.use_artifact("fresh:latest")
        assert used.version == "v0"
        run.log_artifact(_draft("fresh", {"w.bin": big[::-1]}, tmp_path))
        assert run.use_artifact("fresh:latest").version == "v1"
        run.log_artifact(_draft("fresh", {"w.bin": big[1:]}, tmp_path))
        assert archivist.Api().artifact("p/fresh:latest").version == "v2"
    assert [a.version for a in archivist.Api().run(f"p/{run.id}").used_artifacts()] == ["v0", "v1"]


def test_use_artifact_after_a_failed_log_finds_what_exists(tmp_path: Path) -> None:
    """The wait does not raise the log's failure (the run's end does): the lookup answers
    from what was committed."""
    src = tmp_path / "w.bin"
    src.write_bytes(os.urandom(2 << 20))
    with pytest.raises(FileNotFoundError), archivist.init(project="p") as run:
        run.log_artifact(_draft("flaky", {"a.txt": b"a"}, tmp_path)).wait()
        art = archivist.Artifact("flaky", type="dataset")
        art.add_file(str(src), policy="immutable")
        src.unlink()
        run.log_artifact(art)
        assert run.use_artifact("flaky:latest").version == "v0"
