"""``archivist artifact ls``, ``lineage`` and ``cache cleanup`` in-process."""

from __future__ import annotations

import archivist
from archivist.core.sizes import parse_size
from archivist.storage.client_cache import ClientCache


def test_ls_prints_one_aligned_row_per_collection_with_its_latest_version(invoke, sample_tree):
    invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample")
    (sample_tree.path / "README.md").write_bytes(b"v1\n")
    invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample")
    invoke("artifact", "put", str(sample_tree.path / "README.md"), "-n", "proj/notes", "-t", "docs")

    result = invoke("artifact", "ls", "proj")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["TYPE", "UPDATED", "SIZE", "NAME", "ALIASES"]
    assert [row.split()[0] for row in rows] == ["dataset", "docs"]  # sorted by type
    dataset_row, docs_row = (row.split() for row in rows)
    assert dataset_row[-2:] == ["sample:v1", "latest"]
    assert docs_row[-2] == "notes:v0"
    assert parse_size(docs_row[-3]) == 3
    size = archivist.Api().artifact("proj/sample:v1").size
    assert abs(parse_size(dataset_row[-3]) - size) <= size * 0.05
    assert len({row.index(row.split()[-2]) for row in rows}) == 1  # names start in one column


def test_ls_filters_by_type_and_says_when_nothing_is_there(invoke, sample_tree, default_entity):
    invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample")

    only_docs = invoke("artifact", "ls", f"{default_entity}/proj", "--type", "docs")
    assert only_docs.exit_code == 0
    assert only_docs.stdout.strip() == f"No artifacts of type 'docs' in project {default_entity}/proj."

    missing = invoke("artifact", "ls", "nothing-here")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == (
        f"archivist: error: project {default_entity}/nothing-here does not exist "
        f"(projects of {default_entity}: proj); 'archivist project ls' lists them"
    )


def test_lineage_shows_the_producing_run_and_its_consumers(invoke, sample_tree):
    invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample", "-a", "gold")
    producer = archivist.Api().artifact("proj/sample:v0").logged_by()
    with archivist.init(project="proj", job_type="train", name="trainer") as run:
        run.use_artifact("sample:gold")
        model = archivist.Artifact("model", type="model")
        with model.new_file("weights.txt") as handle:
            handle.write("0.5\n")
        run.log_artifact(model).wait()

    result = invoke("artifact", "lineage", "proj/sample:gold")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.splitlines()[0].startswith("dataset sample:v0 [")
    assert "logged by run" in text and producer.name in text and "(cli_put, finished)" in text
    assert "used by run trainer (train, finished)" in text
    assert "logged model model:v0" in text
    assert (
        text.index("upstream") < text.index(producer.name) < text.index("downstream") < text.index("trainer")
    )

    upstream_only = invoke("artifact", "lineage", "proj/sample:v0", "--direction", "up")
    assert producer.name in upstream_only.stdout
    assert "trainer" not in upstream_only.stdout and "downstream" not in upstream_only.stdout


def test_cache_cleanup_evicts_down_to_the_target_size(invoke, filled_cache, cli_env):
    partial = invoke("artifact", "cache", "cleanup", "10KiB")
    assert partial.exit_code == 0, partial.stderr
    assert partial.stdout == "Reclaimed 20.0KiB of space\n"
    assert ClientCache(cli_env["ARCHIVIST_CACHE_DIR"], None).size() == filled_cache - 20 * 1024

    rest = invoke("artifact", "cache", "cleanup", "0", "--remove-temp")
    assert rest.stdout == "Reclaimed 10.0KiB of space\n"
    assert invoke("artifact", "cache", "cleanup", "1GB").stdout == "Reclaimed 0B of space\n"
