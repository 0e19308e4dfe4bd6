"""No leaks through the graph: lineage graphs, producers, consumers, a run's inputs and
outputs, and the UI's version, run and lineage pages show the records of entities the
caller cannot read only as opaque placeholders, or leave them out.

The graph: team ``secret``'s run (config holding a password) logs a version (metadata
holding a note); team ``public``'s run uses it and logs a version of its own. A viewer of
``public`` only, and a viewer of ``secret`` only, look at it from each side.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.models import Direction, RunRef, RunSpec, VersionRecord
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess
from tests.server.conftest import _name
from tests.ui.pages import csrf_token

PASSWORD = "hunter2-do-not-show"
NOTE = "the-secret-team-note"
SECRET_TEXT = (PASSWORD, NOTE)


@dataclass
class Graph:
    secret_team: str
    public_team: str
    secret_run: RunRef
    public_run: RunRef
    secret_version: VersionRecord
    public_version: VersionRecord
    public_viewer: HttpBackend
    secret_viewer: HttpBackend
    keys: dict[str, str]


@pytest.fixture(scope="module")
def graph(server: ServerProcess, admin: AdminClient) -> Iterator[Graph]:
    secret_team, public_team = _name("secret"), _name("public")
    owner = HttpBackend(server.url, ADMIN_KEY)
    keys, viewers = {}, {}
    for team in (secret_team, public_team):
        admin.create_team(team)
        user = admin.create_user(_name("viewer"))
        admin.set_member(team, user.user.name, "viewer")
        keys[team] = user.key.key
        viewers[team] = HttpBackend(server.url, user.key.key)
    secret_run = RunRef(secret_team, "proj", "maker")
    owner.upsert_run(RunSpec(ref=secret_run, config={"password": PASSWORD}))
    secret_version = log_files(
        owner,
        "hidden-data",
        {"h.txt": NOTE.encode()},
        entity=secret_team,
        run=secret_run,
        metadata={"note": NOTE},
    ).version
    public_run = RunRef(public_team, "proj", "user")
    owner.upsert_run(RunSpec(ref=public_run, config={"lr": 0.1}))
    owner.record_use(public_run, secret_version.id)
    public_version = log_files(
        owner, "open-data", {"o.txt": b"open"}, entity=public_team, run=public_run
    ).version
    yield Graph(
        secret_team,
        public_team,
        secret_run,
        public_run,
        secret_version,
        public_version,
        viewers[public_team],
        viewers[secret_team],
        keys,
    )
    owner.close()
    for viewer in viewers.values():
        viewer.close()


def _assert_hidden(answer: object) -> None:
    text = json.dumps(answer, default=str) if not isinstance(answer, str) else answer
    for secret in SECRET_TEXT:
        assert secret not in text


def test_the_graph_shows_foreign_nodes_as_placeholders(graph: Graph) -> None:
    found = graph.public_viewer.lineage(graph.public_version.id, Direction.UPSTREAM, 4)
    nodes = {node.id: node for node in found.nodes}
    assert set(nodes) == {
        graph.public_version.id,
        graph.public_run.path,
        graph.secret_version.id,
        graph.secret_run.path,
    }
    assert not nodes[graph.public_version.id].hidden and nodes[graph.public_run.path].run is not None
    for foreign in (graph.secret_version.id, graph.secret_run.path):
        node = nodes[foreign]
        assert node.hidden and node.run is None and node.version is None and node.label == "(no access)"
    assert {(edge.source, edge.target) for edge in found.edges} == {
        (graph.secret_run.path, graph.secret_version.id),
        (graph.secret_version.id, graph.public_run.path),
        (graph.public_run.path, graph.public_version.id),
    }
    _assert_hidden([node.__dict__ for node in found.nodes])


def test_a_runs_foreign_inputs_are_left_out(graph: Graph) -> None:
    assert graph.public_viewer.run_inputs(graph.public_run) == []
    assert [v.id for v in graph.public_viewer.run_outputs(graph.public_run)] == [graph.public_version.id]
    assert graph.public_viewer.version_producer(graph.public_version.id).ref == graph.public_run


def test_foreign_consumers_are_left_out(graph: Graph) -> None:
    """From the other side: the secret team's viewer does not see who used their version."""
    assert graph.secret_viewer.version_consumers(graph.secret_version.id) == []
    found = graph.secret_viewer.lineage(graph.secret_version.id, Direction.DOWNSTREAM, 4)
    hidden = {node.id for node in found.nodes if node.hidden}
    assert hidden == {graph.public_run.path, graph.public_version.id}
    assert "lr" not in json.dumps([node.__dict__ for node in found.nodes], default=str)


@contextmanager
def _browser(server: ServerProcess, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        page = http.get("/ui/login")
        http.post("/ui/login", data={"api_key": key, "next": "/ui/", "csrf_token": csrf_token(page.text)})
        yield http


def test_the_ui_pages_show_no_foreign_records(server: ServerProcess, graph: Graph) -> None:
    version = graph.public_version
    base = f"/ui/artifacts/{version.entity}/{version.project}/{version.collection}/{version.version}"
    run = f"/ui/runs/{graph.public_run.entity}/{graph.public_run.project}/{graph.public_run.run_id}"
    with _browser(server, graph.keys[graph.public_team]) as http:
        for page in (base, f"{base}/lineage", run, f"{run}/lineage"):
            answer = http.get(page, params={"up": 4, "down": 4})
            assert answer.status_code == 200, (page, answer.text[:300])
            _assert_hidden(answer.text)
            assert "hidden-data" not in answer.text, page  # not even the foreign collection's name
    secret = graph.secret_version
    secret_page = f"/ui/artifacts/{secret.entity}/{secret.project}/{secret.collection}/{secret.version}"
    with _browser(server, graph.keys[graph.secret_team]) as http:
        for page in (secret_page, f"{secret_page}/lineage"):
            answer = http.get(page, params={"up": 4, "down": 4})
            assert answer.status_code == 200, (page, answer.text[:300])
            assert "open-data" not in answer.text and '"lr"' not in answer.text, page
