"""The not-found message of a lookup says what exists nearby only to those who may read
the project; anyone else is refused before anything about it is said."""

from __future__ import annotations

import pytest

from archivist.core.errors import ArtifactNotFoundError, PermissionDeniedError
from tests.client.artifact_logging import log_files
from tests.server.conftest import Team


def test_hints_are_for_readers_only(team: Team) -> None:
    owner = team.backends["member"]
    log_files(owner, "example_artifact", {"training_dataset": b"secret rows"}, entity=team.name)
    for role in ("viewer", "member", "admin"):
        with pytest.raises(ArtifactNotFoundError) as caught:
            team.backends[role].resolve_version(team.name, "proj", "training_dataset", "latest")
        assert "'example_artifact' has a file named training_dataset" in str(caught.value)
    with pytest.raises(PermissionDeniedError) as refused:
        team.backends["outsider"].resolve_version(team.name, "proj", "training_dataset", "latest")
    assert "example_artifact" not in str(refused.value)
