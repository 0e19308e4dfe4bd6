"""Shared fixtures: every test gets its own store and cache in tmp_path.

``archivist_env`` runs each test three times: on the embedded store, and
against two real ``archivist server`` processes (one per session each) with a
unique entity per test: "server" on SQLite + a blob folder, and "server-pg-s3"
on a throw-away PostgreSQL database + moto's S3 server on loopback, where the
client moves blob bytes straight to and from S3 through presigned URLs. A test
that only makes sense on the embedded store says so with ``@pytest.mark.embedded_only("reason")``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.core.settings import WANDB_NAMES
from archivist.sdk.context import reset_contexts
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server
from tests.fixtures.prerequisites import missing_prerequisites
from tests.fixtures.s3 import BUCKET, client_for
from tests.fixtures.servers import S3_TEST_ENV, moto_s3
from tests.metadata.postgres import temporary_database

BACKENDS = ("embedded", "server", "server-pg-s3")
WEBHOOKS_ON_LOOPBACK = {"ARCHIVIST_ALLOW_PRIVATE_WEBHOOKS": "1", "ARCHIVIST_DELIVERY_BACKOFF": "0.1"}
"""The SDK tests' servers send webhooks to receivers on loopback (an operator's choice)."""
SERVER_FIXTURES = {"server": "sdk_server", "server-pg-s3": "sdk_server_pg_s3"}


@pytest.fixture(scope="session", autouse=True)
def _never_touch_the_users_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Any test that forgets ``archivist_env`` still writes to a throwaway store, not ~/.archivist,
    and no W&B variable of the developer's shell (``WANDB_BASE_URL``, ...) applies."""
    fallback = tmp_path_factory.mktemp("fallback-store")
    wandb_names = [wandb_name for wandb_name, _below in WANDB_NAMES.values()]
    names = ("ARCHIVIST_DIR", "ARCHIVIST_CACHE_DIR", "XDG_CONFIG_HOME", *wandb_names)
    saved = {k: os.environ.get(k) for k in names}
    for name in wandb_names:  # a W&B user's WANDB_BASE_URL/WANDB_API_KEY would apply to every test
        os.environ.pop(name, None)
    os.environ["ARCHIVIST_DIR"] = str(fallback / "home")
    os.environ["ARCHIVIST_CACHE_DIR"] = str(fallback / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(fallback / "config")  # no saved ``archivist login`` applies
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "embedded_only(reason): the test checks the embedded store itself; not run against a server",
    )


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Stop at once, with one message, when the machine lacks a part the selected tests need.

    In an xdist worker (each collects the tests itself) the worker runs nothing and hands
    the message to the controller, which says it once (``pytest_testnodedown``)."""
    missing = missing_prerequisites(items)
    if missing is None:
        return
    if hasattr(config, "workerinput"):
        config.workeroutput["missing_prerequisites"] = missing  # type: ignore[attr-defined]
        config.hook.pytest_deselected(items=list(items))
        items.clear()
        return
    pytest.exit(missing, returncode=pytest.ExitCode.USAGE_ERROR)


_MISSING_FROM_WORKERS: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """On the xdist controller: keep what a worker found missing (the same from each)."""
    missing = getattr(node, "workeroutput", {}).get("missing_prerequisites")
    if missing and not _MISSING_FROM_WORKERS:
        _MISSING_FROM_WORKERS.append(missing)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _MISSING_FROM_WORKERS:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(_MISSING_FROM_WORKERS[0], red=True, bold=True)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


@pytest.fixture(scope="session")
def sdk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One ``archivist server`` (SQLite + folder) for every SDK test of the session."""
    root = tmp_path_factory.mktemp("sdk-server")
    with archivist_server(
        f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log", env=WEBHOOKS_ON_LOOPBACK
    ) as server:
        yield server


@pytest.fixture(scope="session")
def sdk_s3_env() -> Iterator[dict[str, str]]:
    """moto's S3 server on loopback with the test bucket; yields the ``AWS_*`` variables to reach it."""
    with moto_s3() as endpoint:
        env = {**S3_TEST_ENV, "AWS_ENDPOINT_URL": endpoint, "AWS_ALLOW_HTTP": "true"}
        client_for(env).create_bucket(Bucket=BUCKET)
        yield env


@pytest.fixture(scope="session")
def sdk_server_pg_s3(
    tmp_path_factory: pytest.TempPathFactory, sdk_s3_env: dict[str, str]
) -> Iterator[ServerProcess]:
    """One ``archivist server`` on PostgreSQL (a database of its own) and S3 (moto)."""
    root = tmp_path_factory.mktemp("sdk-server-pg-s3")
    with (
        temporary_database() as db_url,
        archivist_server(
            db_url, f"s3://{BUCKET}/sdk", root / "server.log", env={**sdk_s3_env, **WEBHOOKS_ON_LOOPBACK}
        ) as server,
    ):
        yield server


@pytest.fixture(params=BACKENDS)
def archivist_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point ARCHIVIST_DIR, the cache and downloads at tmp_path; forget open backends around the test.

    In the server variants the SDK talks to the session's server as its admin,
    in an entity of its own (ARCHIVIST_ENTITY), so tests never see each other's data.
    """
    home = tmp_path / "archivist-home"
    monkeypatch.setenv("ARCHIVIST_DIR", str(home))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "archivist-cache"))
    monkeypatch.setenv("ARCHIVIST_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name, (wandb_name, _below) in WANDB_NAMES.items():  # W&B's names would apply too
        if name not in ("ARCHIVIST_CACHE_DIR", "ARCHIVIST_ARTIFACT_DIR"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(wandb_name, raising=False)
    if request.param in SERVER_FIXTURES:
        marker = request.node.get_closest_marker("embedded_only")
        if marker is not None:
            pytest.skip(f"embedded store only: {marker.args[0] if marker.args else ''}")
        server: ServerProcess = request.getfixturevalue(SERVER_FIXTURES[request.param])
        if request.param == "server-pg-s3":
            for name, value in request.getfixturevalue("sdk_s3_env").items():
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("ARCHIVIST_BASE_URL", server.url)
        monkeypatch.setenv("ARCHIVIST_API_KEY", ADMIN_KEY)
        monkeypatch.setenv("ARCHIVIST_ENTITY", f"t-{uuid.uuid4().hex[:12]}")
    monkeypatch.chdir(tmp_path)
    reset_contexts()
    yield home
    _finish_active_run()
    reset_contexts()


@pytest.fixture
def blob_folder(archivist_env: Path, request: pytest.FixtureRequest) -> Path:
    """The folder this test's blobs are stored in: the embedded store's, or the server's
    (skipped on the S3 server, which has no folder)."""
    if request.node.callspec.params.get("archivist_env") == "server-pg-s3":
        pytest.skip("the blobs of the S3-backed server are in no local folder")
    if "ARCHIVIST_BASE_URL" in os.environ:
        server: ServerProcess = request.getfixturevalue("sdk_server")
        return server.store
    return archivist_env / "blobs"


@pytest.fixture
def default_entity(archivist_env: Path) -> str:
    """The entity paths default to in this test: ``local``, or the test's own on a server."""
    return os.environ.get("ARCHIVIST_ENTITY", "local")


def _finish_active_run() -> None:
    try:
        from archivist.sdk import session
    except ImportError:
        return
    session.teardown()


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Create files under root from a {relative path: content} mapping."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
    return root


@pytest.fixture
def make_tree(tmp_path: Path):
    def make(name: str, files: dict[str, bytes | str]) -> Path:
        return write_tree(tmp_path / name, files)

    return make


def read_tree(root: str | os.PathLike[str]) -> dict[str, bytes]:
    """{relative posix path: bytes} of every file under root."""
    out: dict[str, bytes] = {}
    for path in Path(root).rglob("*"):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out
