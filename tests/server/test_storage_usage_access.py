"""Storage accounting on a server never tells a user that someone they cannot read holds
the same bytes (dedup must not leak): such bytes count as theirs alone."""

from __future__ import annotations

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from tests.client.artifact_logging import log_files
from tests.server.conftest import Team


def test_bytes_shared_with_an_unreadable_entity_count_as_exclusive(
    team: Team, admin: AdminClient, admin_backend: HttpBackend
) -> None:
    member, outsider = team.backends["member"], team.backends["outsider"]
    secret = b"the same bytes in two entities " * 100
    log_files(member, "data", {"f": secret, "own": b"team only"}, entity=team.name, project="p")
    their_entity = outsider.default_entity()
    log_files(outsider, "copy", {"f": secret}, entity=their_entity, project="p")
    seen_by_member = member.storage_usage(team.name, "p", "data")
    assert seen_by_member.shared_bytes == 0 and seen_by_member.exclusive_bytes == seen_by_member.total_bytes
    seen_by_admin = admin_backend.storage_usage(team.name, "p", "data")
    assert seen_by_admin.total_bytes == seen_by_member.total_bytes
    assert seen_by_admin.shared_bytes == len(secret)  # the server administrator sees every holder
    seen_by_outsider = outsider.storage_usage(their_entity, "p")
    assert seen_by_outsider.shared_bytes == 0
    admin.set_member(team.name, outsider.default_entity(), "viewer")  # now they may read the team
    assert outsider.storage_usage(their_entity, "p").shared_bytes == len(secret)
