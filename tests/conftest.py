"""Shared fixtures: every test gets its own embedded store and cache in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.sdk.context import reset_contexts


@pytest.fixture(scope="session", autouse=True)
def _never_touch_the_users_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Any test that forgets ``archivist_env`` still writes to a throwaway store, not ~/.archivist."""
    fallback = tmp_path_factory.mktemp("fallback-store")
    saved = {k: os.environ.get(k) for k in ("ARCHIVIST_DIR", "ARCHIVIST_CACHE_DIR")}
    os.environ["ARCHIVIST_DIR"] = str(fallback / "home")
    os.environ["ARCHIVIST_CACHE_DIR"] = str(fallback / "cache")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def archivist_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point ARCHIVIST_DIR, the cache and downloads at tmp_path; forget open backends around the test."""
    home = tmp_path / "archivist-home"
    monkeypatch.setenv("ARCHIVIST_DIR", str(home))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "archivist-cache"))
    monkeypatch.setenv("ARCHIVIST_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    for name in ("ARCHIVIST_ENTITY", "ARCHIVIST_PROJECT", "ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    reset_contexts()
    yield home
    _finish_active_run()
    reset_contexts()


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
