"""``archivist artifact put`` and ``get`` in-process, against a real embedded store."""

from __future__ import annotations

import json
from pathlib import Path

import archivist
from tests.conftest import read_tree


def test_put_directory_then_get_gives_the_same_bytes(invoke, sample_tree, tmp_path, default_entity):
    put = invoke("artifact", "put", str(sample_tree.path), "--name", "proj/sample")
    assert put.exit_code == 0, put.stderr
    assert f"{default_entity}/proj/sample:v0" in put.stdout

    root = tmp_path / "out"
    got = invoke("artifact", "get", "proj/sample:v0", "--root", str(root))
    assert got.exit_code == 0, got.stderr
    assert Path(got.stdout.strip()) == root
    assert read_tree(root) == sample_tree.files


def test_put_prints_the_version_and_a_use_artifact_snippet(invoke, sample_tree, default_entity):
    result = invoke("artifact", "put", str(sample_tree.path / "README.md"), "-n", "proj/readme")
    assert result.exit_code == 0, result.stderr
    assert f"Logged dataset {default_entity}/proj/readme:v0" in result.stdout
    assert f'run.use_artifact("{default_entity}/proj/readme:v0")' in result.stdout


def test_get_link_gives_read_only_hard_links(invoke, sample_tree, tmp_path):
    invoke("artifact", "put", str(sample_tree.path), "--name", "proj/sample")
    root = tmp_path / "linked"
    got = invoke("artifact", "get", "proj/sample", "--root", str(root), "--link")
    assert got.exit_code == 0, got.stderr
    assert Path(got.stdout.strip()) == root
    assert read_tree(root) == sample_tree.files
    for rel in sample_tree.files:
        st = (root / rel).stat()
        assert st.st_nlink >= 2 and st.st_mode & 0o222 == 0, rel  # shared with a read-only blob


def test_put_records_type_aliases_description_metadata_and_a_cli_put_run(invoke, sample_tree):
    result = invoke(
        "artifact", "put", str(sample_tree.path), "--name", "team/proj/sample", "--type", "raw-data",
        "-a", "best", "--alias", "reviewed", "-d", "a *sample*", "--metadata", '{"rows": 200, "ok": true}',
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr

    version = archivist.Api().artifact("team/proj/sample:best")
    assert version.version == "v0"
    assert version.type == "raw-data"
    assert set(version.aliases) >= {"best", "reviewed", "latest"}
    assert version.description == "a *sample*"
    assert version.metadata == {"rows": 200, "ok": True}
    assert version.file_count == len(sample_tree.files)
    producer = version.logged_by()
    assert producer.job_type == "cli_put"
    assert producer.config["path"] == str(sample_tree.path)


def test_name_defaults_to_the_basename_of_the_path(invoke, sample_tree, monkeypatch, default_entity):
    monkeypatch.setenv("ARCHIVIST_PROJECT", "defaults")
    result = invoke("artifact", "put", str(sample_tree.path / "train") + "/")
    assert result.exit_code == 0, result.stderr
    assert f"{default_entity}/defaults/train:v0" in result.stdout


def test_identical_content_returns_the_existing_version(invoke, sample_tree):
    first = invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample")
    again = invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample", "-a", "again")
    assert first.exit_code == again.exit_code == 0, again.stderr
    assert "proj/sample:v0" in again.stdout
    assert "again" in archivist.Api().artifact("proj/sample:v0").aliases

    (sample_tree.path / "README.md").write_bytes(b"changed\n")
    changed = invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample")
    assert "proj/sample:v1" in changed.stdout, changed.stderr


def test_put_a_file_uri_logs_a_reference(invoke, sample_tree, tmp_path):
    uri = (sample_tree.path / "test").as_uri()
    result = invoke("artifact", "put", uri, "-n", "proj/refs")
    assert result.exit_code == 0, result.stderr
    assert "proj/refs:v0" in result.stdout

    got = invoke("artifact", "get", "proj/refs", "--root", str(tmp_path / "refs"))
    assert got.exit_code == 0, got.stderr
    expected = {k.removeprefix("test/"): v for k, v in sample_tree.files.items() if k.startswith("test/")}
    assert read_tree(tmp_path / "refs") == expected


def test_put_skip_cache_and_immutable_policy_are_accepted(invoke, sample_tree, tmp_path):
    result = invoke(
        "artifact", "put", str(sample_tree.path), "-n", "proj/s", "--skip-cache", "--policy", "immutable"
    )
    assert result.exit_code == 0, result.stderr
    got = invoke("artifact", "get", "proj/s:latest", "--root", str(tmp_path / "s"))
    assert read_tree(tmp_path / "s") == sample_tree.files, got.stderr


def test_get_defaults_to_latest_and_checks_the_type(invoke, sample_tree, tmp_path):
    invoke("artifact", "put", str(sample_tree.path / "README.md"), "-n", "proj/doc", "-t", "docs")
    (sample_tree.path / "README.md").write_bytes(b"second\n")
    invoke("artifact", "put", str(sample_tree.path / "README.md"), "-n", "proj/doc", "-t", "docs")

    latest = invoke("artifact", "get", "proj/doc", "--root", str(tmp_path / "doc"), "--type", "docs")
    assert latest.exit_code == 0, latest.stderr
    assert (tmp_path / "doc" / "README.md").read_bytes() == b"second\n"

    wrong_type = invoke("artifact", "get", "proj/doc", "--root", str(tmp_path / "x"), "--type", "model")
    assert wrong_type.exit_code == 2  # a usage mistake: the version is not of the type asked for
    assert wrong_type.stderr.startswith("archivist: error: ")
    assert "model" in wrong_type.stderr


def test_get_without_root_uses_the_artifact_dir(invoke, sample_tree, cli_env):
    invoke("artifact", "put", str(sample_tree.path / "README.md"), "-n", "proj/doc")
    result = invoke("artifact", "get", "proj/doc:v0")
    assert result.exit_code == 0, result.stderr
    printed = Path(result.stdout.strip())
    assert printed.parent == Path(cli_env["ARCHIVIST_ARTIFACT_DIR"])
    assert (printed / "README.md").read_bytes() == sample_tree.files["README.md"]


def test_metadata_must_be_a_json_object(invoke, sample_tree):
    result = invoke("artifact", "put", str(sample_tree.path), "--metadata", json.dumps([1, 2]))
    assert result.exit_code == 2
    assert "--metadata must be a JSON object" in result.stderr


def test_put_on_identical_content_says_no_new_version_once(run_script, sample_tree, default_entity):
    first = run_script("artifact", "put", str(sample_tree.path), "-n", "proj/sample")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"Logged dataset {default_entity}/proj/sample:v0")
    again = run_script("artifact", "put", str(sample_tree.path), "-n", "proj/sample")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(
        f"Identical to v0; no new version: dataset {default_entity}/proj/sample:v0"
    )
    assert "Logged" not in again.stdout
    assert "identical" not in again.stderr.lower()  # said once, on stdout: not again as a notice


def test_put_json_tells_a_script_whether_a_version_was_made(run_script, sample_tree, default_entity):
    made = run_script("artifact", "put", str(sample_tree.path), "-n", "proj/sample", "--json")
    assert made.returncode == 0, made.stderr
    record = json.loads(made.stdout)  # stdout is the JSON object alone
    assert record["name"] == f"{default_entity}/proj/sample:v0"
    assert (record["version"], record["created"], record["type"]) == ("v0", True, "dataset")
    assert record["file_count"] == len(sample_tree.files)
    assert record["size"] == sum(len(content) for content in sample_tree.files.values())
    assert "latest" in record["aliases"] and len(record["digest"]) == 64

    same = json.loads(
        run_script("artifact", "put", str(sample_tree.path), "-n", "proj/sample", "--json").stdout
    )
    assert (same["version"], same["created"], same["digest"]) == ("v0", False, record["digest"])

    (sample_tree.path / "README.md").write_bytes(b"changed\n")
    changed = json.loads(
        run_script("artifact", "put", str(sample_tree.path), "-n", "proj/sample", "--json").stdout
    )
    assert (changed["version"], changed["created"]) == ("v1", True)
