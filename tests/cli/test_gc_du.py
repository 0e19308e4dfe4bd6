"""``archivist gc`` and ``archivist du`` on the embedded store, a server over SQLite and a
server over PostgreSQL + S3 (moto): purge, dry run, explain, accounting, stale uploads."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import archivist as wandb
from archivist.cli.main import cli
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import new_upload_id
from archivist.sdk.context import reset_contexts
from tests.cli.conftest import Invoke
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess
from tests.fixtures.s3 import BUCKET, client_for

SHARED = b"shared between both " * 200
OWN = b"only in the doomed one " * 300


def _log(name: str, files: dict[str, bytes], folder: Path) -> wandb.Artifact:
    folder.mkdir(parents=True, exist_ok=True)
    artifact = wandb.Artifact(name, type="dataset")
    for file, data in files.items():
        (folder / file).write_bytes(data)
        artifact.add_file(str(folder / file))
    with wandb.init(project="gc") as run:
        logged = run.log_artifact(artifact)
        logged.wait()
    return logged


def _json(invoke: Invoke, *args: str) -> dict[str, object]:
    result = invoke(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def test_gc_purges_deleted_versions_and_frees_what_only_they_held(invoke: Invoke, tmp_path: Path) -> None:
    kept = _log("kept", {"s.bin": SHARED}, tmp_path / "kept")
    doomed = _log("doomed", {"s.bin": SHARED, "own.bin": OWN}, tmp_path / "doomed")
    entity = kept.entity
    usage = _json(invoke, "du", f"{entity}/gc/doomed", "--json")
    assert usage["shared_bytes"] == len(SHARED) and usage["exclusive_bytes"] > len(OWN)
    explained = _json(invoke, "gc", "--explain", "gc/kept:v0/s.bin", "--json")
    assert explained["digest"] == hash_bytes(SHARED) and explained["path"] == "s.bin"
    assert explained["versions"] == [f"{entity}/gc/kept:v0", f"{entity}/gc/doomed:v0"]
    doomed.delete(delete_aliases=True)
    waiting = _json(invoke, "gc", "--json")  # default grace: restorable for 7 days
    assert waiting["purged_versions"] == [] and waiting["kept_deleted_versions"] >= 1
    plan = _json(invoke, "gc", "--grace", "0s", "--dry-run", "--json")
    assert f"{entity}/gc/doomed:v0" in plan["purged_versions"] and plan["dry_run"]
    done = _json(invoke, "gc", "--grace", "0s", "--json")
    assert (done["purged_versions"], done["removed_blobs"], done["removed_bytes"]) == (
        plan["purged_versions"],
        plan["removed_blobs"],
        plan["removed_bytes"],
    )
    assert done["removed_bytes"] >= len(OWN)
    gone = _json(invoke, "gc", "--explain", hash_bytes(OWN), "--json")
    assert gone["stored"] is False and gone["kept"] is False
    root = wandb.Api().artifact("gc/kept:v0").download(root=str(tmp_path / "down"))
    assert (Path(root) / "s.bin").read_bytes() == SHARED
    after = _json(invoke, "du", f"{entity}/gc", "--json")
    assert after["versions"] == 1 and after["shared_bytes"] == 0


def test_gc_and_du_in_words(invoke: Invoke, tmp_path: Path) -> None:
    logged = _log("words", {"a.txt": b"a" * 1000}, tmp_path / "w")
    du = invoke("du", f"{logged.entity}/gc")
    assert du.exit_code == 0 and du.stdout.startswith(f"{logged.entity}/gc: ") and "only here" in du.stdout
    explain = invoke("gc", "--explain", "gc/words:v0/a.txt")
    assert explain.exit_code == 0 and f"version {logged.entity}/gc/words:v0 names it" in explain.stdout
    dry = invoke("gc", "--dry-run")
    assert (
        dry.exit_code == 0 and "Would purge" in dry.stdout and "Dry run: nothing was changed." in dry.stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gc", "--grace", "soon"), "invalid duration 'soon'"),
        (("gc", "--grace", "-1d"), "invalid duration '-1d'"),
        (("gc", "--explain", "words/a.txt"), "give a blob digest"),
        (("du", "a/b/c/d"), "invalid storage path"),
    ],
)
def test_usage_mistakes_exit_2_in_one_line(invoke: Invoke, args: tuple[str, ...], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr


def test_gc_drops_stale_staged_uploads_in_an_object_store(
    sdk_server_pg_s3: ServerProcess,
    sdk_s3_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        **sdk_s3_env,
        "ARCHIVIST_DIR": str(tmp_path / "home"),
        "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache"),
        "ARCHIVIST_BASE_URL": sdk_server_pg_s3.url,
        "ARCHIVIST_API_KEY": ADMIN_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    client = client_for(sdk_s3_env)
    stale = f"sdk/incoming/{new_upload_id(time.time() - 3 * 3600, secrets.token_hex(16))}/{'a' * 64}"
    fresh = f"sdk/incoming/{new_upload_id(time.time(), secrets.token_hex(16))}/{'b' * 64}"
    for key in (stale, fresh):
        client.put_object(Bucket=BUCKET, Key=key, Body=b"never completed")
    reset_contexts()
    try:
        result = CliRunner().invoke(cli, ["gc", "--grace", "2h", "--json"])
    finally:
        reset_contexts()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dropped_uploads"] >= 1
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="sdk/incoming/").get("Contents", [])
    keys = {item["Key"] for item in listed}
    assert stale not in keys and fresh in keys
