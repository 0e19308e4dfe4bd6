"""The web UI's addresses, built in one place so its templates, its graph data and the
SDK's ``url`` properties agree (the server's UI imports them as ``server.ui.urls``).

Every name is quoted as one path segment, so no name can change the route it
lands on (names are validated by the store, but aliases may hold more characters).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from archivist.core.models import RunRef, VersionRecord

PREFIX = "/ui"


def url_part(value: object) -> str:
    """One URL path segment (or query value): everything but unreserved characters escaped."""
    return quote(str(value), safe="")


def _join(*parts: object) -> str:
    return "/".join([PREFIX, *(url_part(p) for p in parts)])


def with_query(url: str, **params: object) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{url}?{urlencode(kept)}" if kept else url


def home_url() -> str:
    return f"{PREFIX}/"


def login_url() -> str:
    return f"{PREFIX}/login"


def entity_url(entity: str) -> str:
    return _join("projects", entity)


def project_url(entity: str, project: str) -> str:
    return _join("projects", entity, project)


def automations_url(entity: str, project: str, collection: str | None = None) -> str:
    """The Automations tab of a project (a registry's project) or of one of its collections."""
    return with_query(_join("automations", entity, project), collection=collection)


def automation_history_url(entity: str, project: str, name: str) -> str:
    return _join("automations", entity, project, "history", name)


def type_url(entity: str, project: str, type_name: str) -> str:
    return _join("projects", entity, project, "types", type_name)


def collection_url(entity: str, project: str, collection: str) -> str:
    return _join("artifacts", entity, project, collection)


def compare_url(entity: str, project: str, collection: str) -> str:
    return collection_url(entity, project, collection) + "/compare"


def version_url(version: VersionRecord, tab: str = "") -> str:
    base = (
        collection_url(version.entity, version.project, version.collection) + "/" + url_part(version.version)
    )
    return f"{base}/{tab}" if tab else base


def registries_url() -> str:
    return _join("registries")


def registry_url(registry: str) -> str:
    return _join("registries", registry)


def registry_collection_url(registry: str, collection: str) -> str:
    return _join("registries", registry, collection)


def runs_url(entity: str, project: str) -> str:
    return _join("runs", entity, project)


def run_url(ref: RunRef, tab: str = "") -> str:
    base = _join("runs", ref.entity, ref.project, ref.run_id)
    return f"{base}/{tab}" if tab else base


def artifact_file_url(version: VersionRecord, path: str) -> str:
    """The raw bytes of one file of a version (an attachment download)."""
    return with_query(version_url(version, "files/raw"), path=path)


LOCAL_UI_ORIGIN = "http://127.0.0.1:8080"
"""Where ``archivist ui`` serves the embedded store with its default host and port."""


def absolute(base_url: str | None, path: str) -> str:
    """``path`` (a UI address) on the server at ``base_url``, or on ``archivist ui``'s
    default address for the embedded store."""
    return (base_url or LOCAL_UI_ORIGIN).rstrip("/") + path
