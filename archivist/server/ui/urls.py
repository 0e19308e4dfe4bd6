"""The UI's addresses: defined in ``archivist.wire.ui_paths`` (the SDK's ``url``
properties build the same ones); templates use them as ``urls``."""

from archivist.wire.ui_paths import (
    PREFIX,
    absolute,
    artifact_file_url,
    automation_history_url,
    automations_url,
    collection_url,
    compare_url,
    entity_url,
    home_url,
    login_url,
    project_url,
    run_url,
    runs_url,
    type_url,
    url_part,
    version_url,
    with_query,
)

__all__ = [
    "PREFIX",
    "absolute",
    "artifact_file_url",
    "automation_history_url",
    "automations_url",
    "collection_url",
    "compare_url",
    "entity_url",
    "home_url",
    "login_url",
    "project_url",
    "run_url",
    "runs_url",
    "type_url",
    "url_part",
    "version_url",
    "with_query",
]
