"""Blobs belong to who can read them, on a server over SQLite + a folder store and over
PostgreSQL + S3 (moto, where bytes move through presigned URLs).

Knowing a digest gives nothing: presence answers, downloads and download plans treat a
blob the caller may not read exactly like one the store lacks; dedup across teams costs
an upload (the bytes prove possession) and never tells whether the blob was there; a
commit or a run file may only name blobs the caller may read or uploaded themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.errors import BlobNotFoundError, IntegrityError, UploadQuotaError
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import RunFile, RunRef, RunSpec
from tests.client.artifact_logging import blobs_of, commit_manifest, log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server
from tests.server.conftest import _name

SERVERS = {"sqlite-folder": "sdk_server", "postgresql-s3": "sdk_server_pg_s3"}


@dataclass
class Teams:
    server: ServerProcess
    owner_team: str
    owner: HttpBackend
    """A member of ``owner_team``, which holds the secret."""
    outsider: HttpBackend
    """A member of another team, who knows (or guesses) the secret's digest."""
    outsider_team: str
    outsider_key: str


@pytest.fixture(params=list(SERVERS))
def teams(request: pytest.FixtureRequest) -> Iterator[Teams]:
    server: ServerProcess = request.getfixturevalue(SERVERS[request.param])
    admin = AdminClient(server.url, ADMIN_KEY)
    backends, names, keys = [], [], []
    for prefix in ("owners", "outsiders"):
        team = _name(prefix)
        admin.create_team(team)
        user = admin.create_user(_name("user"))
        admin.set_member(team, user.user.name, "member")
        backends.append(HttpBackend(server.url, user.key.key))
        names.append(team)
        keys.append(user.key.key)
    yield Teams(server, names[0], backends[0], backends[1], names[1], keys[1])
    for backend in backends:
        backend.close()
    admin.close()


def test_a_guessed_secret_is_not_confirmed(teams: Teams) -> None:
    """The attack of the issue: a 6-digit secret, found by asking which candidate's digest the
    store holds. Every candidate reads as missing, and none can be downloaded or planned."""
    secret = f"pin=483920 {teams.owner_team}\n"
    log_files(teams.owner, "vault", {"pin.txt": secret.encode()}, entity=teams.owner_team)
    candidates = [f"pin={pin} {teams.owner_team}\n" for pin in range(483915, 483925)]
    digests = [hash_bytes(text.encode()) for text in candidates]
    assert blobs_of(teams.outsider).missing_blobs(digests) == digests
    for digest in digests:
        with pytest.raises(BlobNotFoundError):
            blobs_of(teams.outsider).read_bytes(digest)
    base, headers = teams.server.url + "/api/v1", _headers(teams.outsider_key)
    plan = httpx.post(f"{base}/blobs/download-plan", json={"digests": digests[5:6]}, headers=headers)
    assert plan.status_code == 404 and "url" not in plan.text
    assert blobs_of(teams.owner).missing_blobs(digests) == digests[:5] + digests[6:]  # the owner sees it


def test_dedup_across_teams_costs_an_upload_not_a_leak(teams: Teams) -> None:
    data = f"a file both teams have {teams.owner_team}".encode()
    log_files(teams.owner, "shared", {"f.bin": data}, entity=teams.owner_team)
    digest = hash_bytes(data)
    assert blobs_of(teams.outsider).missing_blobs([digest]) == [digest]  # present, but not theirs to know
    plan = httpx.post(
        f"{teams.server.url}/api/v1/blobs/upload-plan",
        json={"blobs": [{"digest": digest, "size": len(data)}]},
        headers=_headers(teams.outsider_key),
    )
    assert plan.status_code == 200 and plan.json()["targets"][0]["mode"] != "stored", plan.text
    result = log_files(teams.outsider, "mine", {"f.bin": data}, entity=teams.outsider_team)
    assert result.created
    assert blobs_of(teams.outsider).missing_blobs([digest]) == []  # now a version of theirs names it
    assert blobs_of(teams.outsider).read_bytes(digest) == data


def test_a_crafted_manifest_grants_nothing(teams: Teams) -> None:
    data = f"the owners' model weights {teams.owner_team}".encode()
    log_files(teams.owner, "weights", {"w.bin": data}, entity=teams.owner_team)
    digest = hash_bytes(data)
    manifest = Manifest([Entry(path="stolen.bin", digest=digest, size=len(data))])
    with pytest.raises(BlobNotFoundError, match=r"missing from the store"):
        commit_manifest(teams.outsider, "heist", manifest, entity=teams.outsider_team)
    with pytest.raises(BlobNotFoundError):
        blobs_of(teams.outsider).read_bytes(digest)
    ref = RunRef(teams.outsider_team, "proj", _name("run"))
    teams.outsider.upsert_run(RunSpec(ref=ref))
    with pytest.raises(BlobNotFoundError, match="not in the store"):
        teams.outsider.add_run_files(ref, [RunFile("stolen.bin", digest, len(data))])
    with pytest.raises(BlobNotFoundError):
        blobs_of(teams.outsider).read_bytes(digest)


def test_other_bytes_under_a_known_digest_prove_nothing(teams: Teams) -> None:
    data = f"the real bytes {teams.owner_team}".encode()
    log_files(teams.owner, "real", {"r.bin": data}, entity=teams.owner_team)
    digest = hash_bytes(data)
    with pytest.raises(IntegrityError):
        blobs_of(teams.outsider).upload_bytes(digest, b"something else entirely")
    answer = httpx.put(
        f"{teams.server.url}/api/v1/blobs/{digest}",
        content=b"x" * len(data),
        headers=_headers(teams.outsider_key),
    )
    assert answer.status_code == 422
    with pytest.raises(BlobNotFoundError):
        blobs_of(teams.outsider).read_bytes(digest)
    assert blobs_of(teams.outsider).missing_blobs([digest]) == [digest]


def test_the_uploader_reads_what_they_uploaded_until_a_commit_references_it(teams: Teams) -> None:
    data = f"uploaded, not committed yet {teams.outsider_team}".encode()
    digest = hash_bytes(data)
    blobs_of(teams.outsider).upload_bytes(digest, data)
    assert blobs_of(teams.outsider).missing_blobs([digest]) == []
    assert blobs_of(teams.outsider).read_bytes(digest) == data
    assert blobs_of(teams.owner).missing_blobs([digest]) == [digest]
    with pytest.raises(BlobNotFoundError):
        blobs_of(teams.owner).read_bytes(digest)


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- the upload quota --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_quota_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("quota")
    env = {"ARCHIVIST_UPLOAD_QUOTA": "100KiB"}
    with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "log", env=env) as server:
        yield server


def test_uploads_no_commit_references_are_bounded_per_user(small_quota_server: ServerProcess) -> None:
    admin = AdminClient(small_quota_server.url, ADMIN_KEY)
    user = admin.create_user(_name("filler"))
    backend = HttpBackend(small_quota_server.url, user.key.key)
    entity = user.user.name
    first = {f"a{i}.bin": f"{i} {entity}".encode().ljust(20 * 1024, b"a") for i in range(3)}  # 60 KiB
    second = {f"b{i}.bin": f"{i} {entity}".encode().ljust(20 * 1024, b"b") for i in range(3)}
    for data in first.values():
        blobs_of(backend).upload_bytes(hash_bytes(data), data)
    too_much = f"one more {entity}".encode().ljust(50 * 1024, b"c")
    with pytest.raises(UploadQuotaError, match=r"exceed the upload quota of 100\.0KiB"):
        blobs_of(backend).upload_bytes(hash_bytes(too_much), too_much)
    # Committing what was uploaded frees the quota: the next version goes through.
    manifest = Manifest([Entry(path=p, digest=hash_bytes(d), size=len(d)) for p, d in first.items()])
    commit_manifest(backend, "first", manifest, entity=entity)
    assert log_files(backend, "second", second, entity=entity).created
    # The server's administrator is not bounded.
    big = {f"c{i}.bin": f"{i} admin".encode().ljust(60 * 1024, b"c") for i in range(3)}
    admin_backend = HttpBackend(small_quota_server.url, ADMIN_KEY)
    assert log_files(admin_backend, "big", big, entity=entity).created
    for client in (admin_backend, backend, admin):
        client.close()


def test_a_quota_refusal_through_the_api_is_413(small_quota_server: ServerProcess, tmp_path: Path) -> None:
    admin = AdminClient(small_quota_server.url, ADMIN_KEY)
    user = admin.create_user(_name("big"))
    data = b"z" * (150 * 1024)
    answer = httpx.put(
        f"{small_quota_server.url}/api/v1/blobs/{hash_bytes(data)}",
        content=data,
        headers={"Authorization": f"Bearer {user.key.key}"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "upload_quota"
    admin.close()
