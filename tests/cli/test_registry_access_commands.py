"""``archivist registry protect|unprotect|members|member|history`` in real ``python -m
archivist`` processes, on the embedded store and on the servers: protected aliases with
promotion rules (shown by ``registry show``), a refused promotion naming the failing
comparison, an admin's override in the history, "which version held the alias at T",
members and roles (users exist only on a server), and exit code 2 for usage mistakes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from contextlib import closing

import archivist
from archivist.client.admin import AdminClient
from tests.cli.conftest import RunScript
from tests.fixtures.archivist_server import ADMIN_KEY

RULE = "metadata.accuracy >= 0.9"


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _usage_error(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    line = result.stderr.strip()
    assert line.startswith("archivist: error: ") and "\n" not in line and "Traceback" not in line
    for part in parts:
        assert part in line, line


def _failed(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in result.stderr, result.stderr


def _registry_with_links(run_script: RunScript) -> tuple[str, str]:
    """A registry holding collection clf: v0 (accuracy 0.8) and v1 (accuracy 0.95)."""
    name = f"reg-{uuid.uuid4().hex[:8]}"
    _ok(run_script("registry", "create", name, "--type", "model"))
    with archivist.init(project="train") as run:
        for accuracy in (0.8, 0.95):
            art = archivist.Artifact("clf", type="model", metadata={"accuracy": accuracy})
            with art.new_file("weights.txt", mode="w") as f:
                f.write(f"weights {accuracy}")
            run.log_artifact(art).wait()
            run.link_artifact(art, f"wandb-registry-{name}/clf")
    return name, f"wandb-registry-{name}/clf"


def test_protect_with_a_rule_refuse_override_and_travel_back(run_script: RunScript) -> None:
    name, path = _registry_with_links(run_script)
    said = _ok(run_script("registry", "protect", name, "production", "--rule", RULE))
    assert f"Alias 'production' of registry '{name}' is protected, rule: {RULE}." in said
    shown = _ok(run_script("registry", "show", name))
    assert "protected aliases:" in shown and f"production: {RULE}" in shown
    as_json = json.loads(_ok(run_script("registry", "show", name, "--json")))
    assert as_json["protected_aliases"] == [{"alias": "production", "rule": RULE}]
    _ok(run_script("registry", "protect", name, "frozen", "--json"))
    listed = json.loads(_ok(run_script("registry", "ls", "--filter", json.dumps({"name": name}), "--json")))
    assert listed[0]["protected_aliases"] == [
        {"alias": "frozen", "rule": None},
        {"alias": "production", "rule": RULE},
    ]

    refused = run_script("artifact", "alias", "add", f"{path}:v0", "production")
    _failed(refused, "fails the promotion rule", "metadata.accuracy is 0.8", "override_reason")
    _ok(run_script("artifact", "alias", "add", f"{path}:v1", "production"))
    between = dt.datetime.now(dt.timezone.utc).isoformat()
    _ok(run_script("artifact", "alias", "add", f"{path}:v0", "production", "--override-reason", "hotfix"))

    events = json.loads(
        _ok(run_script("registry", "history", f"{name}/clf", "--alias", "production", "--json"))
    )
    assert [(e["event_type"], e["version"], e["previous_version"]) for e in events[:3]] == [
        ("OVERRIDE_PROMOTION_RULE", "v0", None),
        ("ADD_ARTIFACT_ALIAS", "v0", "v1"),
        ("ADD_ARTIFACT_ALIAS", "v1", None),
    ]
    assert "hotfix" in (events[0]["note"] or "")
    table = _ok(run_script("registry", "history", f"{name}/clf", "--alias", "production"))
    assert "OVERRIDE_PROMOTION_RULE" in table and "hotfix" in table and "ADD_PROTECTED_ALIAS" in table
    then = _ok(run_script("registry", "history", f"{name}/clf", "--alias", "production", "--as-of", between))
    assert f"'production' of wandb-registry-{name}/clf named v1 (links " in then
    now = json.loads(
        _ok(
            run_script(
                "registry",
                "history",
                f"{name}/clf",
                "--alias",
                "production",
                "--as-of",
                "2100-01-01",
                "--json",
            )
        )
    )
    assert now["alias"] == "production" and now["version"]["version"] == "v0"
    before = run_script(
        "registry", "history", f"{name}/clf", "--alias", "production", "--as-of", "2001-01-01"
    )
    _failed(before, "no version held 'production'")
    page = _ok(run_script("registry", "history", f"{name}/clf", "--limit", "2"))
    assert f"More: --before {events[1]['id']}" in page

    said = _ok(run_script("registry", "unprotect", name, "production"))
    assert f"Alias 'production' of registry '{name}' is no longer protected." in said
    assert "Protected aliases: frozen" in said
    shown = json.loads(_ok(run_script("registry", "show", name, "--json")))
    assert shown["protected_aliases"] == [{"alias": "frozen", "rule": None}]
    events = json.loads(_ok(run_script("registry", "history", f"{name}/clf", "--json", "--limit", "1")))
    assert events[0]["event_type"] == "REMOVE_PROTECTED_ALIAS" and events[0]["alias"] == "production"


def test_usage_mistakes_exit_2(run_script: RunScript) -> None:
    name, _path = _registry_with_links(run_script)
    _usage_error(run_script("registry", "history", name), "is not NAME/COLLECTION")
    _usage_error(run_script("registry", "history", f"{name}/clf:v0"), "is not NAME/COLLECTION")
    _usage_error(
        run_script("registry", "history", f"{name}/clf", "--as-of", "2026-01-01"), "--as-of needs --alias"
    )
    _usage_error(run_script("registry", "history", f"{name}/clf", "--alias", "x", "--as-of", "soon"), "soon")
    _usage_error(run_script("registry", "protect", name, "latest"), "latest")
    _usage_error(run_script("registry", "protect", name, "v3"), "v3")
    _usage_error(run_script("registry", "protect", name, "prod", "--rule", "__import__('os')"), "rule")
    _usage_error(run_script("registry", "member", "set", name, "someone"), "--role")
    _usage_error(run_script("registry", "member", "add", name, "someone", "--role", "owner"), "owner")
    _usage_error(run_script("registry", "member", "add", name), "MEMBERS")
    _failed(run_script("registry", "unprotect", name, "never"), "never")
    _failed(run_script("registry", "history", "no-such-registry/clf"), "no-such-registry")
    _failed(run_script("registry", "history", f"{name}/nothing"), "nothing")


def _as_user(script_env: dict[str, str], key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**script_env, "ARCHIVIST_API_KEY": key}
    command = [sys.executable, "-m", "archivist", *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


def test_members_and_roles(run_script: RunScript, script_env: dict[str, str]) -> None:
    name, path = _registry_with_links(run_script)
    url = os.environ.get("ARCHIVIST_BASE_URL")
    if url is None:  # the embedded store has its local user only, admin of everything
        assert f"Registry '{name}' has no members of its own." in _ok(run_script("registry", "members", name))
        assert json.loads(_ok(run_script("registry", "members", name, "--json"))) == []
        _failed(run_script("registry", "member", "add", name, "bob"), "no user or team named 'bob'")
        return
    creator = {"name": "admin", "kind": "user", "role": "admin"}  # the server admin created it
    assert json.loads(_ok(run_script("registry", "members", name, "--json"))) == [creator]
    with closing(AdminClient(url, ADMIN_KEY)) as admin:
        team = f"team-{uuid.uuid4().hex[:6]}"
        admin.create_team(team)
        user = admin.create_user(f"user-{uuid.uuid4().hex[:6]}")
    added = json.loads(
        _ok(run_script("registry", "member", "add", name, user.user.name, "--role", "member", "--json"))
    )
    assert {"name": user.user.name, "kind": "user", "role": "member"} in added and creator in added
    said = _ok(run_script("registry", "member", "add", name, team))
    assert (
        f"Added {team} to registry '{name}' (new members get restricted_viewer; members keep theirs)." in said
    )
    _ok(run_script("registry", "protect", name, "production", "--rule", RULE))

    key = user.key.key
    refused = _as_user(script_env, key, "registry", "protect", name, "staging")
    _failed(refused, "admin")
    refused = _as_user(script_env, key, "registry", "member", "add", name, team, "--role", "admin")
    _failed(refused, "admin")
    moved = _as_user(script_env, key, "artifact", "alias", "add", f"{path}:v1", "production")
    _failed(moved, "production", "admin")
    assert _as_user(script_env, key, "artifact", "alias", "add", f"{path}:v1", "staging").returncode == 0
    seen = json.loads(_ok(_as_user(script_env, key, "registry", "history", f"{name}/clf", "--json")))
    assert seen[0]["event_type"] == "ADD_ARTIFACT_ALIAS" and seen[0]["alias"] == "staging"

    changed = json.loads(
        _ok(run_script("registry", "member", "set", name, user.user.name, "--role", "admin", "--json"))
    )
    assert changed == {"name": user.user.name, "kind": "user", "role": "admin"}
    assert _as_user(script_env, key, "artifact", "alias", "add", f"{path}:v1", "production").returncode == 0
    table = _ok(run_script("registry", "members", name))
    assert user.user.name in table and "admin" in table and team in table and "restricted_viewer" in table
    left = json.loads(_ok(run_script("registry", "member", "rm", name, user.user.name, "--json")))
    assert left == [creator, {"name": team, "kind": "team", "role": "restricted_viewer"}]  # by name
    _failed(run_script("registry", "member", "rm", name, user.user.name), user.user.name)
