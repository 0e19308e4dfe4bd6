"""``archivist fsck [--repair] [--json]``: on the embedded store, and on a server's database
and store (SQLite + folder, PostgreSQL + folder, PostgreSQL + S3 on moto) given with
``--db``/``--store``. Damage is made behind the store's back; fsck names it and the
versions it affects, exits 1, ``--repair`` removes it, and logging the same files again
stores them anew."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import archivist
from archivist.cli.main import cli
from archivist.core.manifest import hash_bytes
from archivist.sdk.context import reset_contexts
from archivist.storage.local import LocalBlobStore
from tests.fixtures.archivist_server import ADMIN_KEY, archivist_server
from tests.fixtures.s3 import BUCKET, client_for
from tests.metadata.postgres import temporary_database
from tests.storage.test_local import overwrite

FILES = {"medium.bin": os.urandom(300_000), **{f"small/{i}.txt": os.urandom(2000 + i) for i in range(8)}}
Damage = Callable[[str, bytes | None], None]
"""``damage(digest, bytes)`` replaces a stored blob's bytes; ``None`` removes it."""


def _fsck(*args: str) -> Result:
    return CliRunner().invoke(cli, ["fsck", *args])


def _log(tree: Path) -> str:
    with archivist.init(project="p") as run:
        art = archivist.Artifact("d", type="dataset")
        art.add_dir(str(tree))
        logged = run.log_artifact(art).wait()
    reset_contexts()
    return f"{logged.qualified_name}"


def _tree(root: Path) -> Path:
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _point_sdk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> None:
    for name in [n for n in os.environ if n.startswith("ARCHIVIST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ARCHIVIST_DIR", str(tmp_path / "home"))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_contexts()


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBlobStore]:
    _point_sdk(monkeypatch, tmp_path)
    yield LocalBlobStore(str(tmp_path / "home" / "blobs"))
    reset_contexts()


def test_a_healthy_store_passes(embedded: LocalBlobStore, tmp_path: Path) -> None:
    _log(_tree(tmp_path / "data"))
    result = _fsck()
    assert result.exit_code == 0, result.output
    assert "Checked 1 version, 10 blobs" in result.output and "No problems found." in result.output


def test_damage_is_named_with_its_versions_then_repaired_and_healed(
    embedded: LocalBlobStore, tmp_path: Path
) -> None:
    tree = _tree(tmp_path / "data")
    v0 = _log(tree)
    (tree / "small" / "0.txt").write_bytes(b"changed")
    v1 = _log(tree)
    medium = hash_bytes(FILES["medium.bin"])
    overwrite(Path(embedded.blob_path(medium)), FILES["medium.bin"][:1000])  # cut short
    pack = max(Path(embedded.packs_dir).glob("*.pack"), key=lambda p: p.stat().st_size)  # v0's small files
    overwrite(pack, pack.read_bytes()[:5000])  # the blobs past the first two or so are lost
    cut = {
        d
        for d, where in embedded.index.iter_rows()
        if where.pack == pack.stem and where.offset + where.size > 5000
    }
    assert 5 <= len(cut) <= 7
    result = _fsck()
    assert result.exit_code == 1
    assert f"damaged: blob {medium}: its 1000 bytes hash to blake3" in result.output
    assert f"in {v0}, {v1} as 'medium.bin'" in result.output
    assert "lie past the end of pack" in result.output
    assert f"2 versions affected: {v0}, {v1}" in result.output

    report = json.loads(_fsck("--json").output)
    assert report["ok"] is False and report["affected_versions"] == [v0, v1]
    kinds = {problem["digest"]: problem["kind"] for problem in report["problems"]}
    assert kinds == dict.fromkeys({medium} | cut, "damaged")

    repaired = _fsck("--repair")
    assert repaired.exit_code == 1 and f"Removed {len(cut) + 1} damaged blobs" in repaired.output
    after = json.loads(_fsck("--json").output)
    assert {problem["kind"] for problem in after["problems"]} == {"missing"}
    assert _log(tree) == v1  # identical content: no new version, the lost blobs are stored again
    (tree / "small" / "0.txt").write_bytes(FILES["small/0.txt"])
    assert _log(tree) == v0  # identical to v0: its lost blobs are stored again too
    healed = _fsck()
    assert healed.exit_code == 0, healed.output


def test_a_bad_pack_index_entry_no_version_names_is_reported_and_dropped(
    embedded: LocalBlobStore, tmp_path: Path
) -> None:
    _log(_tree(tmp_path / "data"))
    stray = os.urandom(5000)
    embedded.put_bytes_many([(hash_bytes(stray), stray)])
    stray_pack = max(Path(embedded.packs_dir).glob("*.pack"), key=lambda p: p.stat().st_mtime_ns)
    overwrite(stray_pack, b"")
    result = _fsck("--repair")
    assert result.exit_code == 1
    assert (
        f"bad pack-index entry: blob {hash_bytes(stray)}" in result.output and "no version" in result.output
    )
    assert _fsck().exit_code == 0
    assert embedded.missing([hash_bytes(stray)]) == {hash_bytes(stray)}


def test_a_lost_manifest_is_named(embedded: LocalBlobStore, tmp_path: Path) -> None:
    name = _log(_tree(tmp_path / "data"))
    manifest = archivist.Api().artifact(name)._logged().manifest_digest
    reset_contexts()
    os.unlink(embedded.blob_path(manifest))
    report = json.loads(_fsck("--json").output)
    assert [(p["kind"], p["digest"], p["versions"]) for p in report["problems"]] == [
        ("missing", manifest, [name])
    ]


def test_bad_options_are_one_line(embedded: LocalBlobStore, tmp_path: Path) -> None:
    result = _fsck("--db", "sqlite:///x.sqlite")
    assert result.exit_code == 1 and "give --db and --store together" in result.output
    result = _fsck()
    assert result.exit_code == 1 and "no embedded store at" in result.output


# --- a server's database and store -------------------------------------------------------------


@contextlib.contextmanager
def _server_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, str, Damage]]:
    """A database URL, a store and a way to damage its blobs."""
    folder = tmp_path / "server-blobs"

    def damage_folder(digest: str, data: bytes | None) -> None:
        if data is None:
            LocalBlobStore(str(folder)).delete(digest)  # lost, packed or not
        else:
            overwrite(folder / digest[:2] / digest[2:], data)

    if kind == "sqlite+folder":
        yield f"sqlite:///{tmp_path}/server.sqlite", str(folder), damage_folder
        return
    with temporary_database() as db_url:
        if kind == "postgresql+folder":
            yield db_url, str(folder), damage_folder
            return
        client = client_for(request.getfixturevalue("sdk_s3_env"))
        prefix = f"fsck-{uuid.uuid4().hex[:12]}"

        def damage_object(digest: str, data: bytes | None) -> None:
            key = f"{prefix}/blobs/{digest[:2]}/{digest[2:]}"
            if data is None:
                client.delete_object(Bucket=BUCKET, Key=key)
            else:
                client.put_object(Bucket=BUCKET, Key=key, Body=data)

        yield db_url, f"s3://{BUCKET}/{prefix}", damage_object


@pytest.mark.parametrize("kind", ["sqlite+folder", "postgresql+folder", "postgresql+s3"])
def test_a_servers_store_is_checked_and_repaired(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    with _server_store(kind, tmp_path, request) as (db_url, store, damage):
        s3_env = request.getfixturevalue("sdk_s3_env") if store.startswith("s3://") else {}
        for name, value in s3_env.items():
            monkeypatch.setenv(name, value)
        with archivist_server(db_url, store, tmp_path / "server.log", env=s3_env) as server:
            _point_sdk(monkeypatch, tmp_path, ARCHIVIST_BASE_URL=server.url, ARCHIVIST_API_KEY=ADMIN_KEY)
            tree = _tree(tmp_path / "data")
            name = _log(tree)
            medium, small = hash_bytes(FILES["medium.bin"]), hash_bytes(FILES["small/3.txt"])
            damage(medium, FILES["medium.bin"][:500])
            damage(small, None)
            checked = _fsck("--db", db_url, "--store", store)
            assert checked.exit_code == 1
            assert (
                f"damaged: blob {medium}" in checked.output and f"in {name} as 'medium.bin'" in checked.output
            )
            assert f"missing: blob {small}: not in the store; in {name} as 'small/3.txt'" in checked.output
            repaired = _fsck("--db", db_url, "--store", store, "--repair")
            assert "Removed 1 damaged blob" in repaired.output
            assert _log(tree) == name  # identical: the lost blobs are uploaded again
            healed = _fsck("--db", db_url, "--store", store)
            assert healed.exit_code == 0, healed.output
            reset_contexts()
