"""The API's surface: error answers and their round trip to exception classes,
validation as 400, no internals in a 500, /openapi.json, the request log."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest

from archivist.client.http import HttpBackend
from archivist.core.api import ROUTED_CALLS
from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, IntegrityError, TypeConflictError
from archivist.core.manifest import hash_bytes
from archivist.server.errors import INTERNAL_MESSAGE
from tests.client.artifact_logging import blobs_of, log_text
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _post(server: ServerProcess, path: str, body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1{path}", json=body, headers=AUTH)


def _error(answer: httpx.Response) -> tuple[int, str, str]:
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return answer.status_code, body["error"]["code"], body["error"]["message"]


def test_errors_keep_their_class_code_and_status(server: ServerProcess, admin_backend: HttpBackend) -> None:
    log_text(admin_backend, "api-cats", "one")
    with pytest.raises(TypeConflictError) as caught:
        log_text(admin_backend, "api-cats", "two", type_name="model")
    assert type(caught.value) is TypeConflictError and "already exists" in str(caught.value)
    with pytest.raises(ArtifactNotFoundError, match="nope"):
        admin_backend.resolve_version("ent", "proj", "api-cats", "nope")
    status, code, message = _error(
        _post(
            server,
            "/versions/resolve",
            {"entity": "ent", "project": "proj", "collection": "x", "selector": "v0"},
        )
    )
    assert (status, code) == (404, "artifact_not_found") and "x" in message
    wrong = httpx.put(f"{server.url}/api/v1/blobs/{hash_bytes(b'a')}", content=b"b", headers=AUTH)
    assert _error(wrong)[:2] == (422, "integrity")
    with pytest.raises(IntegrityError):
        blobs_of(admin_backend).upload_bytes(hash_bytes(b"a"), b"b")


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/projects/list", {"entity": 5}, "entity"),
        ("/projects/list", {}, "entity"),
        ("/projects/list", {"entity": "e", "extra": 1}, "extra"),
        (
            "/runs/history/read",
            {"ref": {"entity": "e", "project": "p", "run_id": "r"}, "limit": True},
            "limit",
        ),
        ("/versions/commit", {"request": {"entity": "e"}}, "request.project"),
        ("/lineage/graph", {"node_id": "1", "direction": "up", "depth": 2**70}, "depth"),
        ("/blobs/missing", {"digests": "abc"}, "digests"),
    ],
)
def test_malformed_requests_are_400_naming_the_field(
    server: ServerProcess, path: str, body: object, named: str
) -> None:
    status, code, message = _error(_post(server, path, body))
    assert (status, code) == (400, "invalid_input")
    assert named in message and "pydantic" not in message.lower()


def test_malformed_json_and_unknown_routes(server: ServerProcess) -> None:
    broken = httpx.post(
        f"{server.url}/api/v1/projects/list",
        content=b"{not json",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert _error(broken)[:2] == (400, "invalid_input")
    assert _error(httpx.post(f"{server.url}/api/v1/nothing-here", headers=AUTH))[:2] == (404, "not_found")
    assert _error(httpx.delete(f"{server.url}/api/v1/projects/list", headers=AUTH))[:2] == (
        405,
        "invalid_input",
    )
    bad_frames = httpx.post(f"{server.url}/api/v1/blobs/upload", content=b"z" * 80, headers=AUTH)
    assert _error(bad_frames)[:2] == (400, "invalid_input")


def test_an_unexpected_failure_is_500_without_internals(server: ServerProcess) -> None:
    temp_dir = server.store / "tmp"
    shutil.rmtree(temp_dir, ignore_errors=True)
    temp_dir.write_text("a file where the store's temp folder should be")
    try:
        answer = httpx.put(f"{server.url}/api/v1/blobs/{hash_bytes(b'boom')}", content=b"boom", headers=AUTH)
    finally:
        temp_dir.unlink()
        temp_dir.mkdir()
    assert _error(answer) == (500, "error", INTERNAL_MESSAGE)
    deadline = time.monotonic() + 10
    while "NotADirectoryError" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Traceback" in server.log_text()  # the details are in the server's log instead


def test_openapi_describes_every_backend_call(server: ServerProcess) -> None:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    paths = schema["paths"]
    assert len([name for name in vars(Backend) if not name.startswith("_")]) <= len(paths)
    for path in ("/api/v1/versions/commit", "/api/v1/runs/upsert", "/api/v1/blobs/upload", "/health"):
        assert path in paths
    components = schema["components"]["schemas"]
    assert {"CommitVersionBody", "VersionRecord", "RunRecord", "LineageGraph"} <= set(components)
    for declared in ROUTED_CALLS.values():  # every declared call has its route, typed
        operation = paths[f"/api/v1{declared.spec.path}"][declared.spec.method.lower()]
        assert operation["operationId"].startswith(declared.name)
    commit = paths["/api/v1/versions/commit"]["post"]
    assert commit["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CommitResult"
    }
    request = components["CommitVersionBody"]["properties"]["request"]["$ref"].rsplit("/", 1)[-1]
    assert components[request]["properties"]["ttl_seconds"]["anyOf"][0]["type"] == "integer"


def test_each_request_is_one_json_log_line(server: ServerProcess, admin_backend: HttpBackend) -> None:
    admin_backend.list_projects("logged-entity")
    httpx.post(f"{server.url}/api/v1/projects/list", json={"entity": "anonymous"})
    lines = server.answered_request_log()
    listed = [line for line in lines if line["path"] == "/api/v1/projects/list"]
    assert {"method", "path", "status", "duration_ms", "user"} <= set(listed[-1])
    assert (listed[-2]["status"], listed[-2]["user"]) == (200, "admin")
    assert (listed[-1]["status"], listed[-1]["user"]) == (401, None)
    assert all(isinstance(line["duration_ms"], float) for line in lines)
