"""Messages a newcomer meets in the first hour, as real ``archivist`` processes: a URL that is
not an Archivist server, ``login`` in a script without ``--key``, ``put`` of an empty folder."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "ak_" + "k" * 43
PAGE = b"<html><head><title>Welcome to nginx!</title></head><body>" + b"<p>hello</p>" * 50 + b"</body></html>"


class _WebSite(http.server.BaseHTTPRequestHandler):
    """A web server that is not Archivist: an HTML page for everything (404 for POSTs)."""

    def _page(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def do_GET(self) -> None:
        self._page(200)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._page(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _archivist(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    settings = {
        "ARCHIVIST_DIR": str(tmp_path / "home"),
        "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    return subprocess.run(
        [sys.executable, "-m", "archivist", *args],
        env={**base, **settings, "PYTHONPATH": python_path, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _error_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archivist: error: "), done.stderr
    return lines[0]


def test_a_url_that_is_not_an_archivist_server_is_said_so(web_site: str, tmp_path: Path) -> None:
    for args, env in (
        (("artifact", "ls", "p"), {"ARCHIVIST_BASE_URL": web_site, "ARCHIVIST_API_KEY": KEY}),
        (("login", web_site, "--key", KEY), {}),
    ):
        line = _error_line(_archivist(tmp_path, *args, **env), 1)
        assert f"{web_site} does not look like an Archivist server" in line, line
        assert "text/html" in line and "<html" not in line and "nginx" not in line
    assert not (tmp_path / "config" / "archivist" / "credentials.json").exists()  # nothing saved


def test_login_without_a_terminal_and_without_a_key_says_to_pass_key(tmp_path: Path) -> None:
    line = _error_line(_archivist(tmp_path, "login", "http://127.0.0.1:9"), 2)
    assert "pass it with --key" in line and "http://127.0.0.1:9" in line


def test_put_of_an_empty_folder_warns(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = _archivist(tmp_path, "artifact", "put", "empty", "-n", "p/empty")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "archivist: warning: folder 'empty' holds no files: add_dir added nothing"
    ]
    assert "0 files" in done.stdout
