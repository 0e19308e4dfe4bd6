"""The tools users would pick instead, running the same operations on the same data.

Only tools that are importable run (``pip install 'archivist[bench-peers]'``):

- DVC with a hardlink cache: ``dvc add`` in a repository without git; download is
  ``dvc pull`` into a second repository from a local remote the first one pushed to.
- MLflow with its file store, and MLflow's tracking server over HTTP (proxied
  artifacts, started on a loopback port): ``log_artifacts`` / ``download_artifacts``.
- W&B offline (``immutable`` policy, and the default ``mutable`` one, which copies
  into a staging folder). Downloading needs a W&B server, so those rows say so.

Each runs in its own child process (``peers.py PEER OPERATION PARAMS_JSON``), timed
from inside like Archivist's operations; untimed preparation (copying the workspace
DVC takes over, pushing before a pull) happens in the child before the timed part.
The W&B SDK hands work to its ``wandb-core`` helper process, whose memory is not in
the peak RSS shown.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from loopback import serve

PEER_OPERATIONS = ("log_w2", "relog_w2", "log_w4", "log_w1", "download_w2", "download_w1")


@dataclass(frozen=True)
class Peer:
    name: str
    title: str
    module: str
    """Importable when the tool is installed."""
    preload: tuple[str, ...] = ()
    """Modules imported before the timed part, as an application would have them already."""
    unsupported: dict[str, str] = field(default_factory=dict)
    """Operation -> why this tool cannot do it."""
    needs_server: bool = False

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def supports(self, operation: str) -> bool:
        return operation in PEER_OPERATIONS and operation not in self.unsupported


_MLFLOW_MODULES = ("mlflow", "mlflow.artifacts")
_WANDB_DOWNLOAD = {op: "needs a server" for op in ("download_w2", "download_w1")}
PEERS: dict[str, Peer] = {
    p.name: p
    for p in [
        Peer("dvc", "DVC (hardlink cache)", "dvc", ("dvc.repo",)),
        Peer("mlflow", "MLflow file store", "mlflow", _MLFLOW_MODULES),
        Peer("mlflow-server", "MLflow server (HTTP)", "mlflow", _MLFLOW_MODULES, needs_server=True),
        Peer("wandb-immutable", "W&B offline, immutable", "wandb", ("wandb",), dict(_WANDB_DOWNLOAD)),
        Peer("wandb", "W&B offline, default policy", "wandb", ("wandb",), dict(_WANDB_DOWNLOAD)),
    ]
}


def peer_env(state_root: str) -> dict[str, str]:
    """Environment for peer children: quiet, no telemetry, nothing written to the home folder."""
    env = dict(os.environ)
    env.update(
        DVC_NO_ANALYTICS="1",
        DVC_GLOBAL_CONFIG_DIR=os.path.join(state_root, "dvc-global"),
        DVC_SITE_CACHE_DIR=os.path.join(state_root, "dvc-site"),
        WANDB_SILENT="true",
        WANDB_MODE="offline",
        WANDB_CONFIG_DIR=os.path.join(state_root, "wandb-config"),
        MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false",
        MLFLOW_ALLOW_FILE_STORE="true",  # MLflow 3 refuses its file store without it
        GIT_PYTHON_REFRESH="quiet",
    )
    return env


# --- the MLflow tracking server (started by the parent) -------------------------------------------


@contextlib.contextmanager
def mlflow_server(state_dir: str) -> Iterator[str]:
    """An MLflow tracking server with proxied artifacts on a free loopback port; yields its URL."""
    os.makedirs(state_dir, exist_ok=True)

    def argv(port: int) -> list[str]:
        return [
            sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", f"sqlite:///{state_dir}/mlflow.sqlite",
            "--artifacts-destination", os.path.join(state_dir, "artifacts"), "--workers", "1",
        ]  # fmt: skip

    # Importing MLflow's server takes most of a minute on a busy 2-core machine.
    with serve(argv, peer_env(state_dir), os.path.join(state_dir, "server.log"), timeout=300) as url:
        yield url


# --- the child side ------------------------------------------------------------------------------
# Each action: (prepare, timed) -> the parent's params in, a small result dict out.

Action = tuple[Callable[[dict[str, Any]], None] | None, Callable[[dict[str, Any]], dict[str, Any]]]


def _state(params: dict[str, Any], *parts: str) -> str:
    return os.path.join(params["state"], *parts)


# DVC


def _dvc_repo(root: str) -> Any:
    from dvc.repo import Repo

    if not os.path.isdir(os.path.join(root, ".dvc")):
        os.makedirs(root, exist_ok=True)
        Repo.init(root, no_scm=True)
    return Repo(root)


def _dvc_configure(params: dict[str, Any]) -> None:
    """The peer's repository: a hardlink cache and a local remote (for the downloads)."""
    repo = _dvc_repo(_state(params, "repo"))
    with repo.config.edit() as conf:
        conf["cache"]["type"] = "hardlink"
        conf["remote"]["bench"] = {"url": _state(params, "remote")}
        conf["core"]["remote"] = "bench"


def _dvc_workspace(params: dict[str, Any]) -> None:
    """DVC takes over the files it adds (moves them into its cache), so it gets its own copy."""
    _dvc_configure(params)
    if not os.path.exists(_state(params, "repo", "w2")):
        shutil.copytree(params["work"], _state(params, "repo", "w2"))


def _dvc_add(target: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def add(params: dict[str, Any]) -> dict[str, Any]:
        repo = _dvc_repo(_state(params, "repo"))
        repo.add(os.path.join(repo.root_dir, target))
        return {}

    return add


def _dvc_prepare_w4(params: dict[str, Any]) -> None:
    from workloads import Sizes, apply_w4_change

    apply_w4_change(_state(params, "repo", "w2"), Sizes(**params["sizes"]))


def _dvc_prepare_w1(params: dict[str, Any]) -> None:
    _dvc_configure(params)
    shutil.copy2(params["w1"], _state(params, "repo", "w1.bin"))


def _dvc_prepare_pull(target: str) -> Callable[[dict[str, Any]], None]:
    def prepare(params: dict[str, Any]) -> None:
        source = _dvc_repo(_state(params, "repo"))
        source.push(targets=[os.path.join(source.root_dir, f"{target}.dvc")])
        clone_root = params["dest"]
        _dvc_repo(clone_root)
        config = os.path.join(".dvc", "config")
        shutil.copy(os.path.join(source.root_dir, config), os.path.join(clone_root, config))
        shutil.copy(os.path.join(source.root_dir, f"{target}.dvc"), clone_root)

    return prepare


def _dvc_pull(target: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def pull(params: dict[str, Any]) -> dict[str, Any]:
        clone = _dvc_repo(params["dest"])
        clone.pull(targets=[os.path.join(clone.root_dir, f"{target}.dvc")])
        return {}

    return pull


# MLflow (file store or server)


def _mlflow(params: dict[str, Any]) -> Any:
    import mlflow

    mlflow.set_tracking_uri(params.get("mlflow_url") or f"file://{_state(params, 'mlruns')}")
    return mlflow


def _mlflow_log(path_key: str, artifact_name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def log(params: dict[str, Any]) -> dict[str, Any]:
        mlflow = _mlflow(params)
        with mlflow.start_run() as run:
            source = params[path_key]
            if os.path.isdir(source):
                mlflow.log_artifacts(source, artifact_path=artifact_name)
            else:
                mlflow.log_artifact(source, artifact_path=artifact_name)
        with open(_state(params, f"{artifact_name}.run"), "w") as handle:
            handle.write(run.info.run_id)
        return {}

    return log


def _mlflow_download(artifact_name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def download(params: dict[str, Any]) -> dict[str, Any]:
        mlflow = _mlflow(params)
        with open(_state(params, f"{artifact_name}.run")) as handle:
            run_id = handle.read()
        os.makedirs(params["dest"], exist_ok=True)
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=artifact_name, dst_path=params["dest"]
        )
        return {}

    return download


# W&B offline


def _wandb_log(path_key: str, name: str, policy: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def log(params: dict[str, Any]) -> dict[str, Any]:
        import wandb

        os.environ.setdefault("WANDB_DIR", params["state"])
        os.environ.setdefault("WANDB_CACHE_DIR", _state(params, "cache"))
        os.environ.setdefault("WANDB_DATA_DIR", _state(params, "data"))
        run = wandb.init(mode="offline", project="bench", dir=params["state"])
        artifact = wandb.Artifact(name, type="dataset")
        source = params[path_key]
        if os.path.isdir(source):
            artifact.add_dir(source, policy=policy)
        else:
            artifact.add_file(source, policy=policy)
        run.log_artifact(artifact)
        run.finish()
        return {}

    return log


def _mlflow_actions() -> dict[str, Action]:
    return {
        "log_w2": (None, _mlflow_log("work", "w2")),
        "relog_w2": (None, _mlflow_log("work", "w2")),
        "log_w4": (None, _mlflow_log("work", "w2")),
        "log_w1": (None, _mlflow_log("w1", "w1")),
        "download_w2": (None, _mlflow_download("w2")),
        "download_w1": (None, _mlflow_download("w1")),
    }


def _wandb_actions(policy: str) -> dict[str, Action]:
    return {
        "log_w2": (None, _wandb_log("work", "w2", policy)),
        "relog_w2": (None, _wandb_log("work", "w2", policy)),
        "log_w4": (None, _wandb_log("work", "w2", policy)),
        "log_w1": (None, _wandb_log("w1", "w1", policy)),
    }


CHILD_ACTIONS: dict[str, dict[str, Action]] = {
    "dvc": {
        "log_w2": (_dvc_workspace, _dvc_add("w2")),
        "relog_w2": (_dvc_workspace, _dvc_add("w2")),
        "log_w4": (_dvc_prepare_w4, _dvc_add("w2")),
        "log_w1": (_dvc_prepare_w1, _dvc_add("w1.bin")),
        "download_w2": (_dvc_prepare_pull("w2"), _dvc_pull("w2")),
        "download_w1": (_dvc_prepare_pull("w1.bin"), _dvc_pull("w1.bin")),
    },
    "mlflow": _mlflow_actions(),
    "mlflow-server": _mlflow_actions(),
    "wandb-immutable": _wandb_actions("immutable"),
    "wandb": _wandb_actions("mutable"),
}


def main(argv: list[str]) -> None:
    from measure import report_result, timed

    peer, operation, params = argv[0], argv[1], json.loads(argv[2])
    os.makedirs(params["state"], exist_ok=True)
    prepare, action = CHILD_ACTIONS[peer][operation]
    for module in PEERS[peer].preload:
        importlib.import_module(module)
    if prepare is not None:
        prepare(params)
    seconds, result = timed(lambda: action(params))
    report_result(seconds, **result)


if __name__ == "__main__":
    main(sys.argv[1:])
