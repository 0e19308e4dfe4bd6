"""The module-level API a W&B script uses (``archivist.api``, ``run``, ``log_model``,
``use_model``, ``link_model``, ``errors``), on the embedded store and on servers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import archivist
import archivist.errors
from archivist.core.errors import NotSupportedError, UsageError


def test_a_missing_artifact_is_a_comm_error_as_in_w_and_b(archivist_env: Path) -> None:
    with archivist.init(project="p") as run:
        try:
            run.use_artifact("nothing-here:latest")
        except archivist.errors.CommError as caught:
            assert "nothing-here" in str(caught)
        else:
            pytest.fail("use_artifact of a missing artifact did not raise")
        with pytest.raises(archivist.errors.CommError):
            archivist.Api().artifact("p/nothing-here:v3")
        with pytest.raises(ValueError):  # and still what newer W&B versions raise
            archivist.Api().artifact("p/nothing-here:v3")
    assert issubclass(archivist.errors.AuthenticationError, archivist.errors.CommError)
    assert issubclass(archivist.errors.UsageError, archivist.errors.Error)
    assert archivist.errors.UnsupportedError is NotSupportedError
    assert issubclass(archivist.errors.AuthorizationError, archivist.errors.CommError)


def test_api_run_and_default_entity(archivist_env: Path, default_entity: str) -> None:
    assert archivist.run is None
    assert archivist.api.default_entity == default_entity
    with archivist.init(project="p") as run:
        assert archivist.run is run
    assert archivist.run is None


def test_module_functions_need_init(archivist_env: Path) -> None:
    for call in (
        lambda: archivist.log_model("m.pt"),
        lambda: archivist.use_model("m:latest"),
        lambda: archivist.link_model("m.pt", "Registered"),
        lambda: archivist.link_artifact(archivist.Artifact("a"), "other/a"),
    ):
        with pytest.raises(UsageError, match=r"archivist.init\(\) before archivist\.\w+_\w+\(\)"):
            call()


def test_a_script_that_assigns_wandb_config_gets_the_next_runs_config_after_init(archivist_env: Path) -> None:
    """W&B's notebooks do ``wandb.config = Config`` (a plain dict); the next ``init`` makes
    ``wandb.config`` the new run's config again, as W&B's does."""
    with archivist.init(project="p", config={"lr": 0.1}) as run:
        archivist.config = {"PROJECT": "p"}  # type: ignore[attr-defined]
        assert archivist.config == {"PROJECT": "p"}
        run.finish()
    with archivist.init(project="p", config={"num_train": 3}) as run:
        assert archivist.config is run.config and archivist.config.num_train == 3
        assert archivist.run is run


def _unique(prefix: str) -> str:
    """A registry collection name of this test's own (the organization's registries are
    shared by every test of a server variant)."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def test_log_model_use_model_and_link_model_at_module_level(
    archivist_env: Path, default_entity: str, capsys: pytest.CaptureFixture[str]
) -> None:
    registered = _unique("MNIST Classifier")  # registered model names may hold spaces
    Path("model.pt").write_bytes(b"weights v1")
    archivist.init(project="train", job_type="train")
    archivist.log_model("model.pt", name="mnist", aliases=["candidate"])
    linked = archivist.link_model("model.pt", registered, name="mnist", aliases=["staging"])
    archivist.finish()
    source = archivist.Api().artifact("train/mnist:candidate")
    assert source.type == "model" and source.version == "v0"  # link_model reused the logged version
    assert linked.qualified_name == f"organization/wandb-registry-model/{registered}:v0"
    assert linked.is_link and linked.source_artifact.id == source.id
    assert linked.version == "v0"
    assert linked.digest == source.digest and linked.type == "model"
    assert sorted(linked.aliases) == ["latest", "staging"]
    assert [a.id for a in source.linked_artifacts] == [linked.id]
    assert "old model registry" not in capsys.readouterr().err  # link_model names the registry itself

    with archivist.init(project="serve", job_type="serve") as run:
        # W&B's old model-registry path is read from the model registry, with a notice
        path = archivist.use_model(f"{default_entity}/model-registry/{registered}:staging")
        assert Path(path).name == "model.pt" and Path(path).read_bytes() == b"weights v1"
        assert [a.id for a in run.used_artifacts()] == [source.id]  # the edge goes to the source
    assert f"'{default_entity}/model-registry/{registered}:staging' names W&B's old model registry" in (
        capsys.readouterr().err
    )


def test_use_model_right_after_log_model_gets_what_the_run_just_logged(archivist_env: Path) -> None:
    """log_model logs in the background; using the name at once waits for that log."""
    with archivist.init(project="train") as run:
        for epoch in range(3):
            Path("model.bin").write_bytes(b"w" * 200_000 + bytes([epoch]))
            run.log_model("model.bin", name="net", aliases=["best", f"epoch_{epoch}"])
            path = run.use_model("net:best")
            assert Path(path).read_bytes()[-1] == epoch
    assert archivist.Api().artifact("train/net:best").version == "v2"


def test_linking_again_moves_aliases_and_new_content_is_the_next_version(archivist_env: Path) -> None:
    registered = _unique("Classifier")
    Path("model.pt").write_bytes(b"weights v1")
    with archivist.init(project="train") as run:
        first = run.link_model("model.pt", registered, name="clf", aliases=["production"])
        again = run.link_model("model.pt", registered, name="clf", aliases=["best"])
        assert again.id == first.id  # same content: the same source version, so the same link
        Path("model.pt").write_bytes(b"weights v2")
        second = run.link_model("model.pt", registered, name="clf")
    assert (first.version, second.version) == ("v0", "v1")
    assert (first.source_version, second.source_version) == ("v0", "v1")
    read = archivist.Api().artifact(f"wandb-registry-model/{registered}:latest")
    assert read.id == second.id
    assert sorted(archivist.Api().artifact(f"wandb-registry-model/{registered}:v0").aliases) == [
        "best",
        "production",
    ]


def test_link_artifact_and_artifact_link_in_and_outside_a_run(
    archivist_env: Path, default_entity: str
) -> None:
    golden = _unique("golden")
    target = f"wandb-registry-dataset/{golden}"
    Path("data.csv").write_text("a,b\n1,2\n")
    with archivist.init(project="prep") as run:
        draft = archivist.Artifact("raw", type="dataset")
        draft.add_file("data.csv")
        linked = run.link_artifact(draft, target, aliases=["v-approved"])  # a draft is logged first
        assert draft.version == "v0" and draft.project == "prep"
        assert (linked.entity, linked.project, linked.name) == (
            "organization",
            "wandb-registry-dataset",
            f"{golden}:v0",
        )
        assert linked.type == "dataset" and linked.source_qualified_name == f"{default_entity}/prep/raw:v0"
        same = draft.link(target)  # Artifact.link, in the active run
        assert same.id == linked.id
        with pytest.raises(ValueError, match="'curated' is not a registry"):
            run.link_artifact(draft, "curated/golden")  # links go into registries only
        for bad in ("a/b/c/d", "coll:v1", ""):
            with pytest.raises(ValueError, match="link target"):
                run.link_artifact(draft, bad)
        with pytest.raises(ValueError, match="must be a name without '/'"):
            run.link_model("data.csv", "team/model")
        with pytest.raises(ValueError, match="registry collection name 'two  spaces'"):
            run.link_model("data.csv", "two  spaces")
    outside = archivist.Api().artifact("prep/raw:v0").link(target, aliases=["reviewed"])
    assert outside.id == linked.id and "reviewed" in outside.aliases  # no run: the same link
    with pytest.raises(ValueError, match="draft"):
        archivist.Artifact("never-logged").link(target)
    # the refused link_model calls logged nothing
    assert [t.name for t in archivist.Api().artifact_types("prep")] == ["dataset"]


def test_reinit_default_in_a_notebook_finishes_the_previous_run(archivist_env: Path, tmp_path: Path) -> None:
    """W&B's 'default' finishes the active run in a notebook. A notebook is told by its IPython
    shell's class; the kernel is not installed here, so a module stands in for IPython."""
    (tmp_path / "stand_in" / "IPython").mkdir(parents=True)
    (tmp_path / "stand_in" / "IPython" / "__init__.py").write_text(
        "class ZMQInteractiveShell:\n    pass\n\n_shell = ZMQInteractiveShell()\n\n"
        "def get_ipython():\n    return _shell\n"
    )
    script = (
        "import sys, IPython, archivist\n"
        "first = archivist.init(project='nb')\n"
        "second = archivist.init(project='nb')\n"
        "print(first is second, first.state.value, archivist.run is second)\n"
        "archivist.finish()\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            path for path in (str(tmp_path / "stand_in"), os.environ.get("PYTHONPATH")) if path
        ),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "finished", "True"]
