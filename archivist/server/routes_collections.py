"""Projects, types and collections; lineage edges and graphs."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from archivist.core.models import CollectionRecord, LineageGraph, RunRecord, VersionRecord
from archivist.server.auth import Who
from archivist.server.replies import api_router, reply
from archivist.server.schemas import (
    CollectionBody,
    CollectionListBody,
    CollectionUpdateBody,
    EntityBody,
    LineageBody,
    ProjectBody,
    RecordUseBody,
    RunBody,
    VersionIdBody,
)

router = api_router("collections")
lineage_router = api_router("lineage")


@router.post("/projects/list", response_model=list[str])
def list_projects(body: EntityBody, who: Who) -> JSONResponse:
    return reply(who.call("list_projects", body.entity))


@router.post("/types/list", response_model=list[str])
def list_types(body: ProjectBody, who: Who) -> JSONResponse:
    return reply(who.call("list_types", body.entity, body.project))


@router.post("/collections/list", response_model=list[CollectionRecord])
def list_collections(body: CollectionListBody, who: Who) -> JSONResponse:
    return reply(who.call("list_collections", body.entity, body.project, body.type_name))


@router.post("/collections/get", response_model=CollectionRecord)
def get_collection(body: CollectionBody, who: Who) -> JSONResponse:
    return reply(who.call("get_collection", body.entity, body.project, body.name))


@router.post("/collections/update", response_model=CollectionRecord)
def update_collection(body: CollectionUpdateBody, who: Who) -> JSONResponse:
    update = body.update.to_record()
    return reply(who.call("update_collection", body.entity, body.project, body.name, update))


@router.post("/collections/delete", response_model=None)
def delete_collection(body: CollectionBody, who: Who) -> JSONResponse:
    return reply(who.call("delete_collection", body.entity, body.project, body.name))


@lineage_router.post("/lineage/record-use", response_model=None)
def record_use(body: RecordUseBody, who: Who) -> JSONResponse:
    """Record that the run used the version (an input edge); idempotent."""
    return reply(who.call("record_use", body.ref.to_record(), body.version_id))


@lineage_router.post("/lineage/producer", response_model=RunRecord | None)
def version_producer(body: VersionIdBody, who: Who) -> JSONResponse:
    return reply(who.call("version_producer", body.version_id))


@lineage_router.post("/lineage/consumers", response_model=list[RunRecord])
def version_consumers(body: VersionIdBody, who: Who) -> JSONResponse:
    return reply(who.call("version_consumers", body.version_id))


@lineage_router.post("/lineage/run-outputs", response_model=list[VersionRecord])
def run_outputs(body: RunBody, who: Who) -> JSONResponse:
    return reply(who.call("run_outputs", body.ref.to_record()))


@lineage_router.post("/lineage/run-inputs", response_model=list[VersionRecord])
def run_inputs(body: RunBody, who: Who) -> JSONResponse:
    return reply(who.call("run_inputs", body.ref.to_record()))


@lineage_router.post("/lineage/graph", response_model=LineageGraph)
def lineage(body: LineageBody, who: Who) -> JSONResponse:
    """Walk from a version id or a run path (``entity/project/run_id``) up to ``depth`` hops;
    ``direction`` is upstream, downstream or both."""
    return reply(who.call("lineage", body.node_id, body.direction, body.depth))
