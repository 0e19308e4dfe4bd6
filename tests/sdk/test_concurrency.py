"""Several processes logging to one collection at once, and a process killed
while logging: dense distinct versions, nothing half-made, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import archivist
from archivist.client.transfer.hashing import hash_file
from archivist.core.manifest import hash_bytes, is_blob_digest
from archivist.storage.local import LocalBlobStore
from tests.conftest import read_tree

pytestmark = [pytest.mark.usefixtures("archivist_env"), pytest.mark.slow]

WRITER = textwrap.dedent(
    """
    import os, sys
    import archivist
    worker, count = int(sys.argv[1]), int(sys.argv[2])
    with archivist.init(project="p", job_type=f"worker-{worker}") as run:
        for i in range(count):
            art = archivist.Artifact("shared", type="dataset")
            with art.new_file("data.txt", mode="w") as f:
                f.write(f"worker {worker} item {i}")
            with art.new_file("common.txt", mode="w") as f:
                f.write("same in every version")
            run.log_artifact(art)
    """
)


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_parallel_processes_get_dense_distinct_versions(tmp_path: Path) -> None:
    workers, per_worker = 4, 5
    procs = [_spawn(WRITER, str(w), str(per_worker)) for w in range(workers)]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    versions = archivist.Api().artifacts("dataset", "p/shared")
    assert sorted(int(a.version[1:]) for a in versions) == list(range(workers * per_worker))
    contents = set()
    for art in versions:
        files = read_tree(art.download(str(tmp_path / art.version)))
        assert files["common.txt"] == b"same in every version"
        contents.add(files["data.txt"])
    assert len(contents) == workers * per_worker  # nothing lost, nothing doubled


KILLED = textwrap.dedent(
    """
    import os, sys
    import archivist
    payload = os.urandom(4 << 20)
    with archivist.init(project="p", job_type="doomed") as run:
        i = 0
        while True:
            art = archivist.Artifact("big", type="dataset")
            for j in range(8):
                with art.new_file(f"part-{j}.bin", mode="wb") as f:
                    f.write(payload[j:] + i.to_bytes(8, "big"))
            run.log_artifact(art).wait()
            print("committed", i, flush=True)
            i += 1
    """
)


def test_killed_while_logging_leaves_no_half_version(tmp_path: Path, blob_folder: Path) -> None:
    proc = _spawn(KILLED)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("committed")  # at least one version exists
    time.sleep(0.3)  # now it is in the middle of hashing, storing or committing the next one
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    api = archivist.Api()
    for art in api.artifacts("dataset", "p/big"):
        assert art.file_count == 8
        root = art.download(str(tmp_path / art.version))
        art.verify(root)
    assert blob_folder.is_dir()
    for directory, _dirs, files in os.walk(blob_folder):
        if os.path.basename(directory) in ("tmp", "packs"):
            continue  # temp files are cleaned later; packs are checked through the store below
        for name in files:
            digest = os.path.basename(directory) + name
            assert is_blob_digest(digest)
            assert hash_file(os.path.join(directory, name))[0] == digest  # no torn blob
    store = LocalBlobStore(str(blob_folder))
    for digest in store.iter_digests():  # loose and packed: every readable blob is whole
        with store.open(digest) as reader:
            assert hash_bytes(reader.read()) == digest
    run = api.runs("p")[0]
    assert run.state == "crashed"
    with archivist.init(project="p") as again:  # the store works normally afterwards
        art = archivist.Artifact("big", type="dataset")
        with art.new_file("after.txt", mode="w") as f:
            f.write("after the crash")
        logged = again.log_artifact(art).wait()
    assert api.artifact(f"p/big:{logged.version}").file_count == 1
