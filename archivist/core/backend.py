"""The Backend protocol: every metadata call, each declared once.

The service implements it in-process (the embedded store); the server exposes each
declared call as a route and the HTTP backend makes it remotely -- both derived from the
declarations below (``archivist.core.calls``), never written by hand. Arguments and
results are plain values or the frozen records of ``archivist.core.models``, so every
call can cross the wire. Blob bytes travel through the BlobTransfer protocol instead.

Adding a call means: its typed signature here, with ``@call(path, needs...)`` saying who
may make it; its implementation in ``archivist.service.service.Service``; and its
contract test in ``tests/client``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from archivist.core.access import (
    ANYONE,
    SERVER,
    Entity,
    Node,
    Registry,
    Version,
    download,
    manage,
    read,
    write,
)
from archivist.core.artifact_events import ArtifactEvent
from archivist.core.automations import (
    AttemptRecord,
    AutomationRecord,
    DeliveryRecord,
    NewAutomation,
    WebhookRecord,
)
from archivist.core.calls import call
from archivist.core.collector import DEFAULT_GRACE_SECONDS, BlobHolders, GcReport, StorageUsage
from archivist.core.ids import Digest, Name, NodeId, ProjectName, VersionId
from archivist.core.lifecycle import SweepReport
from archivist.core.models import (
    CollectionRecord,
    CollectionUpdate,
    CommitRequest,
    CommitResult,
    Direction,
    LineageGraph,
    ProjectRecord,
    RunFile,
    RunQuery,
    RunRecord,
    RunRef,
    RunSpec,
    RunUpdate,
    VersionQuery,
    VersionRecord,
    VersionUpdate,
)
from archivist.core.registries import (
    DEFAULT_MEMBER_ROLE,
    LinkOrigin,
    PromotionOverride,
    RegistryMember,
    RegistryRecord,
    RegistryUpdate,
)


@runtime_checkable
class Backend(Protocol):
    # --- identity (not calls: answered from what the backend knows) ------------------------
    def default_entity(self) -> str:
        """The entity used when a path names none (``local`` on the embedded store, the key's
        user on a server)."""
        ...

    def close(self) -> None: ...

    # --- runs -----------------------------------------------------------------------------
    @call("/runs/upsert", write(Entity("spec.ref.entity")))
    def upsert_run(self, spec: RunSpec) -> RunRecord:
        """Create the run, or mark an existing one with the same id running again (resume)."""
        ...

    @call("/runs/update", write(Entity("ref.entity")))
    def update_run(self, ref: RunRef, update: RunUpdate) -> RunRecord:
        """Change the fields the update sets; ``config`` and ``summary`` are full replacements."""
        ...

    @call("/runs/get", read(Entity("ref.entity")))
    def get_run(self, ref: RunRef) -> RunRecord:
        """``RunNotFoundError`` if absent. A running run whose process died reads as crashed."""
        ...

    @call("/runs/list", read(Entity("entity")))
    def list_runs(self, entity: Name, project: ProjectName) -> list[RunRecord]:
        """The project's runs, newest first."""
        ...

    @call("/runs/history/append", write(Entity("ref.entity")))
    def append_history(self, ref: RunRef, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append metric rows; each row carries its ``_step``."""
        ...

    @call("/runs/history/read", read(Entity("ref.entity")))
    def read_history(
        self, ref: RunRef, min_step: int = 0, max_step: int | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Rows with min_step <= _step < max_step, in step order, at most ``limit``."""
        ...

    @call("/runs/files/add", write(Entity("ref.entity")))
    def add_run_files(self, ref: RunRef, files: Sequence[RunFile]) -> None:
        """Attach stored blobs to a run under a path (``wandb.save``); replaces same paths."""
        ...

    @call("/runs/files/list", read(Entity("ref.entity")))
    def list_run_files(self, ref: RunRef) -> list[RunFile]:
        """The run's attached files, by path."""
        ...

    # --- versions -------------------------------------------------------------------------
    @call(
        "/versions/commit",
        write(Entity("request.entity")),
        write(Entity("request.run.entity"), optional=True),
        read(Version("request.base_version_id"), optional=True),
        idempotent=False,
    )
    def commit_version(self, request: CommitRequest) -> CommitResult:
        """Commit a version whose manifest and blobs are stored: allocates the next
        dense version number, moves ``latest`` and the given aliases, records the
        output edge. Identical content to a committed version returns that version."""
        ...

    @call("/versions/resolve", read(Entity("entity")))
    def resolve_version(
        self, entity: Name, project: ProjectName, collection: Name, selector: str
    ) -> VersionRecord:
        """``selector`` is an alias or ``vN``; ``ArtifactNotFoundError`` if nothing matches."""
        ...

    @call("/versions/resolve_as_of", read(Entity("entity")))
    def resolve_version_as_of(
        self, entity: Name, project: ProjectName, collection: Name, selector: str, as_of: str
    ) -> VersionRecord:
        """The version ``selector`` (an alias, ``latest`` or ``vN``) named at ``as_of`` (an
        ISO-8601 time; naive means UTC), from the audit trail; ``ArtifactNotFoundError`` when
        it named none then. The record is the version as it is now."""
        ...

    @call("/collections/history", read(Entity("entity")))
    def collection_history(
        self,
        entity: Name,
        project: ProjectName,
        collection: Name,
        alias: str | None = None,
        event_types: Sequence[str] = (),
        before: int | None = None,
        limit: int = 50,
    ) -> list[ArtifactEvent]:
        """The collection's audit trail, newest first: at most ``limit`` events (1..1000)
        with ids below ``before``, only of ``alias`` and of ``event_types`` when given."""
        ...

    @call("/versions/get", read(Version("version_id")))
    def get_version(self, version_id: VersionId) -> VersionRecord:
        """The version with this id (a version the caller may not read is not found)."""
        ...

    @call("/versions/list", read(Entity("query.entity")))
    def list_versions(self, query: VersionQuery) -> list[VersionRecord]:
        """The collection's versions, filtered, ordered and paged as the query says."""
        ...

    @call("/versions/update", write(Version("version_id")))
    def update_version(
        self, version_id: VersionId, update: VersionUpdate, override_reason: str | None = None
    ) -> VersionRecord:
        """Change the fields the update sets; ``aliases`` and ``tags`` are full replacements.
        Giving or taking a registry's protected alias needs its admin; ``override_reason``:
        an admin's reason to give one to a version failing its promotion rule (recorded)."""
        ...

    @call("/versions/delete", write(Version("version_id")), idempotent=False)
    def delete_version(self, version_id: VersionId, delete_aliases: bool = False) -> None:
        """Delete the version (its aliases too when ``delete_aliases``, else it must have none).
        One holding a protected alias is deleted (unlinked) by a registry admin only; the
        source of a link holding one by nobody (``ProtectedAliasError``)."""
        ...

    @call("/versions/restore", write(Entity("entity")), idempotent=False)
    def restore_version(
        self, entity: Name, project: ProjectName, collection: Name, version_index: int
    ) -> VersionRecord:
        """Restore the soft-deleted ``collection:v<version_index>`` (not purged yet) under its
        number, reviving its collection and project; its old aliases stay removed."""
        ...

    @call("/versions/deleted", read(Entity("entity")))
    def list_deleted_versions(
        self, entity: Name, project: ProjectName, collection: Name | None = None
    ) -> list[VersionRecord]:
        """The project's soft-deleted versions not purged yet (of collections of that name
        when given), most recently deleted first."""
        ...

    # --- lifecycle: team default TTL, the sweep, deleting projects ------------------------
    @call("/entities/default-ttl/set", manage(Entity("entity")), idempotent=False)
    def set_default_ttl(self, entity: Name, ttl_seconds: int | None) -> None:
        """The team default TTL (None: none), for versions whose policy is to inherit it,
        counted from their creation; entity admins."""
        ...

    @call("/entities/default-ttl/get", read(Entity("entity")))
    def get_default_ttl(self, entity: Name) -> int | None:
        """The entity's default TTL in seconds (None: none)."""
        ...

    @call("/entities/ttl-editors/set", manage(Entity("entity")), idempotent=False)
    def set_ttl_editors(self, entity: Name, editors: str) -> None:
        """Who may set TTLs of the entity's versions: ``admins`` or ``members`` (admins and
        members, the default); entity admins. A TTL given by someone who may not set it
        does not apply (the rest of the commit or update does)."""
        ...

    @call("/entities/ttl-editors/get", read(Entity("entity")))
    def get_ttl_editors(self, entity: Name) -> str:
        """Who may set TTLs of the entity's versions: ``admins`` or ``members``."""
        ...

    @call("/lifecycle/sweep", manage(Entity("entity")), idempotent=False)
    def sweep(self, entity: Name, dry_run: bool = False, as_of: str | None = None) -> SweepReport:
        """Soft-delete the entity's versions whose TTL ran out and those retention rules let
        go, as of ``as_of`` (an ISO time; default now); entity admins. ``dry_run`` deletes
        nothing and reports the same plan."""
        ...

    @call("/projects/delete", manage(Entity("entity")), idempotent=False)
    def delete_project(self, entity: Name, project: ProjectName) -> None:
        """Soft-delete every collection of the project and hide it (restorable version by
        version until purged); entity admins."""
        ...

    # --- collections and types ------------------------------------------------------------
    @call("/projects/list", read(Entity("entity")))
    def list_projects(self, entity: Name) -> list[str]:
        """The entity's project names."""
        ...

    @call("/types/list", read(Entity("entity")))
    def list_types(self, entity: Name, project: ProjectName) -> list[str]:
        """The artifact types the project holds collections of."""
        ...

    @call("/collections/list", read(Entity("entity")))
    def list_collections(
        self,
        entity: Name,
        project: ProjectName,
        type_name: str | None = None,
        filter: Mapping[str, Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[CollectionRecord]:
        """The project's collections by name (of one type when ``type_name`` is given),
        filtered as ``core.registry_filters`` says (run as SQL) and paged."""
        ...

    @call("/collections/get", read(Entity("entity")))
    def get_collection(self, entity: Name, project: ProjectName, name: Name) -> CollectionRecord:
        """One collection by name."""
        ...

    @call("/collections/update", write(Entity("entity")), idempotent=False)
    def update_collection(
        self, entity: Name, project: ProjectName, name: Name, update: CollectionUpdate
    ) -> CollectionRecord:
        """Rename, retype, describe or tag a collection."""
        ...

    @call("/collections/delete", write(Entity("entity")), idempotent=False)
    def delete_collection(self, entity: Name, project: ProjectName, name: Name) -> None:
        """Delete the collection and its versions."""
        ...

    # --- lineage --------------------------------------------------------------------------
    @call("/lineage/record-use", write(Entity("ref.entity")), download(Version("version_id")))
    def record_use(self, ref: RunRef, version_id: VersionId) -> None:
        """Record that the run used the version (an input edge); idempotent. Using a link
        needs viewer or above in its registry (a restricted viewer reads metadata only)."""
        ...

    @call("/lineage/producer", read(Version("version_id")))
    def version_producer(self, version_id: VersionId) -> RunRecord | None:
        """The run that logged the version (None when none did, or the caller may not read it)."""
        ...

    @call("/lineage/consumers", read(Version("version_id")))
    def version_consumers(self, version_id: VersionId) -> list[RunRecord]:
        """The runs that used the version (those the caller may read)."""
        ...

    @call("/lineage/run-outputs", read(Entity("ref.entity")))
    def run_outputs(self, ref: RunRef) -> list[VersionRecord]:
        """The versions the run logged (those the caller may read)."""
        ...

    @call("/lineage/run-inputs", read(Entity("ref.entity")))
    def run_inputs(self, ref: RunRef) -> list[VersionRecord]:
        """The versions the run used (those the caller may read)."""
        ...

    @call("/lineage/graph", read(Node("node_id")))
    def lineage(self, node_id: NodeId, direction: Direction, depth: int) -> LineageGraph:
        """Walk from a version id or a run path (``entity/project/run_id``) up to ``depth`` hops;
        nodes the caller may not read are placeholders."""
        ...

    # --- registries and links (``archivist.core.registries``) ------------------------------
    # The role in a registry is the highest of its own role of the user or a team of theirs,
    # the role in the organization's entity, and restricted_viewer for every user when it is
    # visible to the organization (``service.registry_roles``, SPEC §7's table).
    @call("/registries/create", write(Registry("name")), idempotent=False)
    def create_registry(
        self,
        name: str,
        visibility: str,
        description: str | None = None,
        artifact_types: Sequence[str] | None = None,
        allow_all_artifact_types: bool = False,
    ) -> RegistryRecord:
        """Create a registry (a member or admin of the organization; its creator becomes its
        admin); ``ConflictError`` when it exists."""
        ...

    @call("/registries/list", *ANYONE)
    def list_registries(
        self, filter: Mapping[str, Any] | None = None, offset: int = 0, limit: int | None = None
    ) -> list[RegistryRecord]:
        """The registries the caller may read, by name, filtered as ``core.registry_filters``
        says (run as SQL) and paged."""
        ...

    @call("/registries/get", read(Registry("name")))
    def get_registry(self, name: str) -> RegistryRecord:
        """One registry; ``NotFoundError`` if absent."""
        ...

    @call("/registries/versions", read(Registry("name")))
    def list_registry_versions(
        self, name: str, filter: Mapping[str, Any] | None = None, offset: int = 0, limit: int | None = None
    ) -> list[VersionRecord]:
        """The linked versions of every collection of the registry, by collection then newest
        first, filtered as ``core.registry_filters`` says (run as SQL) and paged."""
        ...

    @call("/registries/update", manage(Registry("name")), idempotent=False)
    def update_registry(self, name: str, update: RegistryUpdate) -> RegistryRecord:
        """Describe it, add accepted types (never removed), restrict it (never undone)."""
        ...

    @call("/registries/delete", manage(Registry("name")), idempotent=False)
    def delete_registry(self, name: str) -> None:
        """Delete a custom registry and its collections' links (their sources stay)."""
        ...

    @call(
        "/links/create",
        download(Version("version_id")),
        write(Registry("registry")),
        write(Entity("origin.entity"), optional=True),
    )
    def link_version(
        self,
        version_id: VersionId,
        registry: str,
        collection: str,
        aliases: Sequence[str] = (),
        origin: LinkOrigin | None = None,
        override_reason: str | None = None,
    ) -> VersionRecord:
        """Link the version (a link's source, for a link) into the registry's collection,
        created with the version's type on first use; linking it again returns the existing
        link with the aliases applied. Downloading the version (what a link opens to its
        readers) and member of the registry.
        ``origin``: the project a bare target was given in (W&B's old model registry), whose
        paths then read the link (a member of that project). A protected alias among
        ``aliases`` needs the registry's admin (and ``override_reason`` to pass a version
        failing its promotion rule)."""
        ...

    @call("/registries/protected-aliases/set", manage(Registry("registry")), idempotent=True)
    def protect_alias(self, registry: str, alias: str, rule: str | None = None) -> RegistryRecord:
        """Protect ``alias`` in the registry (again: replace its rule); ``rule``: the promotion
        rule a version must pass to get it (``core.promotion_rules``), None for none."""
        ...

    @call("/registries/protected-aliases/remove", manage(Registry("registry")), idempotent=False)
    def unprotect_alias(self, registry: str, alias: str) -> RegistryRecord:
        """Stop protecting ``alias``; versions holding it keep it as an ordinary alias."""
        ...

    @call("/registries/promotion-overrides", read(Version("version_id")))
    def list_promotion_overrides(self, version_id: VersionId) -> list[PromotionOverride]:
        """The overrides of promotion rules recorded for a version, oldest first."""
        ...

    @call("/registries/members/list", read(Registry("name")))
    def list_registry_members(self, name: str) -> list[RegistryMember]:
        """The users and teams holding a role of the registry's own, by name."""
        ...

    @call("/registries/role", read(Registry("name")))
    def registry_role(self, name: str) -> str:
        """The caller's own role in the registry, as every check decides it (``admin`` on the
        embedded store): what a client may offer them to do."""
        ...

    @call("/registries/members/add", manage(Registry("name")))
    def add_registry_members(
        self, name: str, members: Sequence[Name], role: str = DEFAULT_MEMBER_ROLE
    ) -> list[RegistryMember]:
        """Give users or teams (by name) ``role`` in the registry; members already keep their
        role. Returns the registry's members."""
        ...

    @call("/registries/members/update", manage(Registry("name")))
    def update_registry_member(self, name: str, member: Name, role: str) -> RegistryMember:
        """Change a member's role (restricted_viewer, viewer, member, admin)."""
        ...

    @call("/registries/members/remove", manage(Registry("name")))
    def remove_registry_members(self, name: str, members: Sequence[Name]) -> list[RegistryMember]:
        """Take the registry's role away from users or teams (each must be a member).
        Returns the registry's members."""
        ...

    @call("/versions/check-download", download(Version("version_id")))
    def check_download(self, version_id: VersionId) -> None:
        """Nothing when the caller may download the version's files and use it;
        ``PermissionDeniedError`` naming the role needed when not (a link read by a
        restricted viewer of its registry)."""
        ...

    @call("/links/list", read(Version("version_id")))
    def list_links(self, version_id: VersionId) -> list[VersionRecord]:
        """The links of the version (of its source, for a link) the caller may read."""
        ...

    # --- reading like W&B: run queries, run deletion, project records ----------------------
    @call("/runs/query", read(Entity("query.entity")))
    def query_runs(self, query: RunQuery) -> list[RunRecord]:
        """The project's runs matching W&B's filters, ordered and paged, selected by the
        database; an ``InvalidInputError`` names a bad field, operator or value."""
        ...

    @call("/runs/count", read(Entity("query.entity")))
    def count_runs(self, query: RunQuery) -> int:
        """How many runs ``query``'s filters select (its order, offset and limit aside):
        ``len(Api().runs(...))`` in one query."""
        ...

    @call("/runs/delete", write(Entity("ref.entity")), idempotent=False)
    def delete_run(self, ref: RunRef) -> None:
        """Delete the run with its history, files and lineage edges; versions it logged stay,
        with no producer."""
        ...

    @call("/lineage/record-output", write(Entity("ref.entity")), write(Version("version_id")))
    def record_output(self, ref: RunRef, version_id: VersionId) -> None:
        """Record that the run logged an existing version (an output edge; W&B's public
        ``Run.log_artifact``); the run must be in the version's project. Idempotent."""
        ...

    @call("/projects/get", read(Entity("entity")))
    def get_project(self, entity: Name, project: ProjectName) -> ProjectRecord:
        """One project; ``NotFoundError`` if the entity has none of that name."""
        ...

    @call("/projects/records", read(Entity("entity")))
    def list_project_records(self, entity: Name) -> list[ProjectRecord]:
        """The entity's projects with when they were made and what they hold, by name."""
        ...

    # --- the collector and storage accounting (``service.gc``) ------------------------------
    @call("/admin/gc", manage(SERVER), idempotent=False)
    def collect_garbage(
        self, grace_seconds: float = DEFAULT_GRACE_SECONDS, dry_run: bool = False
    ) -> GcReport:
        """Purge versions soft-deleted more than ``grace_seconds`` ago, delete the blobs
        nothing holds, and tidy the store; ``dry_run`` changes nothing and reports the plan."""
        ...

    @call("/admin/gc/explain", manage(SERVER))
    def explain_blob(self, digest: Digest) -> BlobHolders:
        """What holds the blob (versions, base chains, run files, uploads), or that nothing does."""
        ...

    @call("/storage/usage", read(Entity("entity")))
    def storage_usage(
        self, entity: Name, project: ProjectName | None = None, collection: Name | None = None
    ) -> StorageUsage:
        """Bytes the entity, project or collection holds, split into bytes only it holds
        (what deleting it would free) and bytes shared with others the caller may read."""
        ...

    # --- automations and webhooks (``archivist.core.automations``, SPEC §8) ------------------
    @call("/webhooks/create", manage(Entity("entity")), idempotent=False)
    def create_webhook(
        self,
        entity: Name,
        name: str,
        url: str,
        signing_secret: str | None = None,
        access_token: str | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> WebhookRecord:
        """Save a webhook of the entity (its admins); its secrets are never returned, the
        signing secret only here when the store generated it. A server refuses a URL of a
        private address unless its operator allows it."""
        ...

    @call("/webhooks/list", write(Entity("entity")))
    def list_webhooks(self, entity: Name) -> list[WebhookRecord]:
        """The entity's webhooks, without their secrets."""
        ...

    @call("/webhooks/delete", manage(Entity("entity")), idempotent=False)
    def delete_webhook(self, entity: Name, name: str) -> None:
        """Delete a webhook no automation uses."""
        ...

    @call("/webhooks/test", manage(Entity("entity")), idempotent=False)
    def test_webhook(self, entity: Name, name: str, payload: Any = None) -> AttemptRecord:
        """Send a signed sample request now and answer what the receiver said."""
        ...

    @call("/automations/create", write(Entity("automation.scope.entity")), idempotent=False)
    def create_automation(self, automation: NewAutomation) -> AutomationRecord:
        """Save an automation (member or admin of its scope); ``ConflictError`` when the
        entity has one of that name."""
        ...

    @call("/automations/list", read(Entity("entity")))
    def list_automations(
        self, entity: Name, project: str | None = None, collection: str | None = None
    ) -> list[AutomationRecord]:
        """The entity's automations, or those whose scope holds the project (collection)."""
        ...

    @call("/automations/update", write(Entity("entity")), idempotent=False)
    def update_automation(self, entity: Name, name: str, automation: NewAutomation) -> AutomationRecord:
        """Replace the automation's fields (enable, disable, retarget, rename)."""
        ...

    @call("/automations/delete", write(Entity("entity")), idempotent=False)
    def delete_automation(self, entity: Name, name: str) -> None:
        """Delete the automation and its history."""
        ...

    @call("/automations/history", read(Entity("entity")))
    def automation_history(self, entity: Name, name: str, limit: int = 100) -> list[DeliveryRecord]:
        """The automation's deliveries, newest first, with every attempt."""
        ...

    @call("/automations/redeliver", write(Entity("entity")), idempotent=False)
    def redeliver(self, entity: Name, delivery_id: str) -> DeliveryRecord:
        """Send a delivery again (same delivery id) with a fresh budget of attempts."""
        ...
