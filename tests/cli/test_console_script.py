"""The real command in real processes: ``python -m archivist ...`` (what the console script runs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from archivist.core.sizes import format_size
from tests.conftest import read_tree


def test_put_get_ls_lineage_and_cache_cleanup_in_separate_processes(
    spawn_script, sample_tree, tmp_path, filled_cache, default_entity
):
    put = spawn_script("artifact", "put", str(sample_tree.path), "--name", "proj/sample", "--alias", "gold")
    assert put.returncode == 0, put.stderr
    assert f'run.use_artifact("{default_entity}/proj/sample:v0")' in put.stdout

    root = tmp_path / "downloaded"
    get = spawn_script("artifact", "get", "proj/sample:gold", "--root", str(root))
    assert get.returncode == 0, get.stderr
    assert get.stdout.strip() == str(root)
    assert read_tree(root) == sample_tree.files

    ls = spawn_script("artifact", "ls", "proj")
    assert ls.returncode == 0, ls.stderr
    rows = ls.stdout.splitlines()
    assert rows[0].split() == ["TYPE", "UPDATED", "SIZE", "NAME", "ALIASES"]
    assert rows[1].split()[0] == "dataset" and rows[1].split()[-2:] == ["sample:v0", "latest,gold"]

    lineage = spawn_script("artifact", "lineage", "proj/sample:gold")
    assert lineage.returncode == 0, lineage.stderr
    first_line = lineage.stdout.splitlines()[0]
    assert first_line.startswith("dataset sample:v0 [") and "gold" in first_line and "latest" in first_line
    assert "logged by run" in lineage.stdout and "(cli_put, finished)" in lineage.stdout

    cleanup = spawn_script("artifact", "cache", "cleanup", "0B")
    assert cleanup.returncode == 0, cleanup.stderr
    reclaimed = cleanup.stdout.strip().removeprefix("Reclaimed ").removesuffix(" of space")
    # from a server, ``get`` downloads through the client cache, so those files are reclaimed too
    downloaded = sum(map(len, set(sample_tree.files.values()))) if os.environ.get("ARCHIVIST_BASE_URL") else 0
    assert reclaimed == format_size(filled_cache + downloaded)


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["artifact", "put", "missing-path"], 1, "missing-path"),
        (["artifact", "put", "{sample}", "--name", "a/b/c/d"], 2, "a/b/c/d"),  # a usage mistake
        (["artifact", "put", "{sample}", "--metadata", "{not json"], 2, "--metadata"),
        (["artifact", "get", "proj/sample:no-such-alias"], 1, "no-such-alias"),
        (["artifact", "cache", "cleanup", "10XB"], 2, "10XB"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_a_failure_exit(spawn_script, sample_tree, args, code, fragment):
    result = spawn_script(*(arg.replace("{sample}", str(sample_tree.path)) for arg in args))
    assert result.returncode == code
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("archivist: error: ") and fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_usage_error_exits_2_and_help_and_version_work(spawn_script):
    usage = spawn_script("artifact", "ls")
    assert usage.returncode == 2
    assert usage.stderr.splitlines() == [
        "archivist: error: Missing argument '[ENTITY/]PROJECT'. (see 'archivist artifact ls --help')"
    ]

    assert "Usage: archivist artifact put" in spawn_script("artifact", "put", "--help").stdout
    version = spawn_script("--version")
    assert version.returncode == 0 and version.stdout.startswith("archivist, version ")


def test_ctrl_c_is_one_line_and_cleans_up(script_env):
    process = subprocess.Popen(
        [sys.executable, "-m", "archivist", "demo"],
        env=script_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith("Archivist demo:")
    workdir = process.stdout.readline().strip().removeprefix("Working files in ")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, (out, err)
    assert err.splitlines() == ["archivist: error: interrupted"]
    assert "archivist-demo-" in workdir and not os.path.exists(workdir)
