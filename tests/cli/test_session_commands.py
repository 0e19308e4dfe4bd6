"""``archivist whoami`` and ``archivist status`` in real processes: which store or server, as whom."""

from __future__ import annotations

import json
import os


def test_whoami_and_status_name_the_store_or_server_and_the_user(run_script, cli_env, default_entity):
    whoami = run_script("whoami")
    assert whoami.returncode == 0, whoami.stderr
    status = json.loads(run_script("status", "--json").stdout)
    assert status["entity"] == default_entity and status["project"] == "uncategorized"
    assert status["cache_dir"] == cli_env["ARCHIVIST_CACHE_DIR"]
    text = run_script("status").stdout
    server = os.environ.get("ARCHIVIST_BASE_URL")
    if server is None:
        home = cli_env["ARCHIVIST_DIR"]
        assert whoami.stdout.strip() == f"local (no server: the embedded store at {home})"
        assert (status["mode"], status["location"], status["user"]) == ("embedded", home, None)
        assert f"store:    the embedded store at {home} (ARCHIVIST_DIR); no server" in text
    else:
        assert whoami.stdout.strip() == f"admin at {server}, a server administrator"
        assert (status["mode"], status["location"], status["user"]) == ("server", server, "admin")
        assert status["server_from"] == "ARCHIVIST_BASE_URL" and status["key_from"] == "ARCHIVIST_API_KEY"
        assert f"server:   {server} (from ARCHIVIST_BASE_URL)" in text and "user:     admin" in text
    assert f"entity:   {default_entity} (paths without one use it)" in text


def test_whoami_with_a_key_the_server_refuses_is_one_error_line(run_script, script_env, cli_env):
    if "ARCHIVIST_BASE_URL" not in os.environ:
        script_env["ARCHIVIST_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
        script_env.pop("ARCHIVIST_API_KEY", None)
        result = run_script("whoami")
        assert result.returncode == 1
        assert result.stderr.strip().startswith(
            "archivist: error: no API key for the server at http://127.0.0.1:9"
        )
        return
    script_env["ARCHIVIST_API_KEY"] = "ak_" + "x" * 40
    result = run_script("status")
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "not valid" in result.stderr
