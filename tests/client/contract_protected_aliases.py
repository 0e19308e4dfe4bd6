"""Backend contract: protected aliases of registries and their promotion rules (SPEC §7, §6).

The contract's caller may do everything (the embedded store's user, a server admin); what
other roles may not do is tested on the server (``tests/server/test_protected_aliases.py``)."""

from __future__ import annotations

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import (
    ArtifactNotFoundError,
    InvalidInputError,
    NotFoundError,
    PromotionRuleError,
    ProtectedAliasError,
)
from archivist.core.models import RunRef, RunSpec, RunUpdate, VersionUpdate
from archivist.core.registries import ORGANIZATION, ProtectedAlias
from tests.client.artifact_logging import ENTITY, PROJECT, log_text

MODELS = "wandb-registry-model"
RULE = "summary.accuracy >= 0.92 and metadata.framework == 'torch'"


def _trained(backend: Backend, name: str, accuracy: object, framework: str = "torch") -> str:
    """A model version logged by a run whose summary has ``accuracy``; its id."""
    run = RunRef(ENTITY, PROJECT, f"train-{name}")
    backend.upsert_run(RunSpec(ref=run))
    backend.update_run(run, RunUpdate(summary={"accuracy": accuracy, "eval": {"loss": 0.1}}))
    metadata = {"framework": framework}
    return log_text(backend, "clf", name, type_name="model", run=run, metadata=metadata).version.id


class ProtectedAliasContract:
    def test_protected_aliases_are_declared_replaced_listed_and_removed(self, backend: Backend) -> None:
        backend.create_registry("ops", "organization", artifact_types=["model"])
        record = backend.protect_alias("ops", "staging")
        assert record.protected_aliases == (ProtectedAlias("staging", None),)
        backend.protect_alias("ops", "production", "summary.accuracy > 0.5")
        replaced = backend.protect_alias("ops", "production", RULE)
        assert replaced.protected_aliases == (ProtectedAlias("production", RULE), ProtectedAlias("staging"))
        assert backend.get_registry("ops").protected_aliases == replaced.protected_aliases
        listed = {r.name: r for r in backend.list_registries()}
        assert listed["ops"].protected_aliases == replaced.protected_aliases
        assert listed["model"].protected_aliases == ()
        removed = backend.unprotect_alias("ops", "staging")
        assert removed.protected_aliases == (ProtectedAlias("production", RULE),)
        with pytest.raises(
            NotFoundError, match=r"'staging' is not protected in registry 'ops'.*\['production'\]"
        ):
            backend.unprotect_alias("ops", "staging")
        with pytest.raises(NotFoundError, match="registry 'nowhere' not found"):
            backend.protect_alias("nowhere", "production")

    @pytest.mark.parametrize(
        ("alias", "rule", "message"),
        [
            ("latest", None, "'latest' cannot be protected"),
            ("v3", None, "version aliases like 'v3'"),
            ("a/b", None, "invalid alias 'a/b'"),
            ("production", "summary.accuracy >> 1", "at position 18: expected a value"),
            ("production", "accuracy > 1", "path 'accuracy' must start with 'metadata.' or 'summary.'"),
            ("production", "summary.a > 1 or summary.b > 1", "at position 14: expected 'and'"),
            ("production", "", "is empty"),
        ],
    )
    def test_bad_protected_aliases_and_rules_are_named(
        self, backend: Backend, alias: str, rule: str | None, message: str
    ) -> None:
        with pytest.raises(InvalidInputError, match=message):
            backend.protect_alias("model", alias, rule)
        assert backend.get_registry("model").protected_aliases == ()

    def test_a_source_held_by_a_protected_alias_cannot_be_deleted_until_it_is_removed(
        self, backend: Backend
    ) -> None:
        backend.protect_alias("model", "production")
        source = log_text(backend, "clf", "w1", type_name="model").version
        link = backend.link_version(source.id, "model", "clf", ["production"])
        with pytest.raises(
            ProtectedAliasError,
            match=r"its link 'organization/wandb-registry-model/clf:v0' holds the protected alias "
            r"'production'",
        ):
            backend.delete_version(source.id, delete_aliases=True)
        with pytest.raises(ProtectedAliasError, match="'production'"):
            backend.delete_collection(ENTITY, PROJECT, "clf")
        assert backend.get_version(source.id).id == source.id  # nothing was deleted
        assert backend.get_version(link.id).aliases == ("latest", "production")
        backend.update_version(link.id, VersionUpdate(aliases=[]))
        backend.delete_version(source.id, delete_aliases=True)
        with pytest.raises(ArtifactNotFoundError):
            backend.get_version(link.id)

    def test_an_admin_unlinks_a_protected_version_and_deletes_its_collection(self, backend: Backend) -> None:
        backend.protect_alias("model", "production")
        first = log_text(backend, "clf", "w1", type_name="model").version
        second = log_text(backend, "clf", "w2", type_name="model").version
        link = backend.link_version(first.id, "model", "clf", ["production"])
        backend.delete_version(link.id, delete_aliases=True)  # an admin may unlink it
        assert backend.list_links(first.id) == []
        backend.link_version(second.id, "model", "clf", ["production"])
        backend.delete_collection(ORGANIZATION, MODELS, "clf")
        backend.delete_version(second.id, delete_aliases=True)  # its link is gone with the collection

    def test_unprotecting_an_alias_frees_the_source(self, backend: Backend) -> None:
        backend.protect_alias("model", "production")
        source = log_text(backend, "clf", "w1", type_name="model").version
        link = backend.link_version(source.id, "model", "clf", ["production"])
        backend.unprotect_alias("model", "production")
        assert backend.get_version(link.id).aliases == ("latest", "production")
        backend.delete_version(source.id, delete_aliases=True)

    def test_a_version_failing_the_rule_is_refused_with_the_values(self, backend: Backend) -> None:
        backend.protect_alias("model", "production", RULE + " and metadata.owner == 'ml'")
        weak = _trained(backend, "weak", 0.9, framework="jax")
        with pytest.raises(PromotionRuleError) as refused:
            backend.link_version(weak, "model", "clf", ["production"])
        message = str(refused.value)
        assert "'wandb-registry-model/clf:v0' may not get the protected alias 'production'" in message
        assert "summary.accuracy >= 0.92 failed: summary.accuracy is 0.9" in message
        assert 'metadata.framework == "torch" failed: metadata.framework is "jax"' in message
        assert 'metadata.owner == "ml" failed: metadata.owner is missing' in message
        assert "override_reason" in message
        assert backend.list_links(weak) == []  # the refused link was not made either
        link = backend.link_version(weak, "model", "clf")  # without the alias it is linked
        with pytest.raises(PromotionRuleError, match="summary.accuracy is 0.9"):
            backend.update_version(link.id, VersionUpdate(aliases=["production"]))
        assert backend.get_version(link.id).aliases == ("latest",)

    def test_a_version_meeting_the_rule_gets_the_alias_and_moves_it(self, backend: Backend) -> None:
        backend.protect_alias("model", "production", RULE)
        first = backend.link_version(_trained(backend, "first", 0.95), "model", "clf", ["production"])
        second = backend.link_version(_trained(backend, "second", 0.97), "model", "clf", ["production"])
        assert backend.get_version(first.id).aliases == ()
        assert backend.get_version(second.id).aliases == ("latest", "production")
        assert backend.list_promotion_overrides(second.id) == []
        with pytest.raises(
            PromotionRuleError, match='summary.accuracy is "high" \\(string\\), which cannot be compared'
        ):
            backend.link_version(_trained(backend, "odd", "high"), "model", "clf", ["production"])

    def test_a_version_no_run_logged_fails_a_summary_rule(self, backend: Backend) -> None:
        backend.protect_alias("model", "production", "summary.accuracy > 0")
        orphan = log_text(backend, "clf", "w", type_name="model").version
        with pytest.raises(PromotionRuleError, match="no run logged the version, so it has no summary"):
            backend.link_version(orphan.id, "model", "clf", ["production"])

    def test_an_admin_overrides_the_rule_with_a_reason_that_is_recorded(self, backend: Backend) -> None:
        backend.protect_alias("model", "production", RULE)
        weak = _trained(backend, "weak", 0.9)
        link = backend.link_version(
            weak, "model", "clf", ["production"], override_reason="hotfix for outage 12"
        )
        assert backend.get_version(link.id).aliases == ("latest", "production")
        (override,) = backend.list_promotion_overrides(link.id)
        assert (override.registry, override.collection, override.version_index) == ("model", "clf", 0)
        assert (override.alias, override.rule, override.reason) == (
            "production",
            RULE,
            "hotfix for outage 12",
        )
        assert override.failures == ("summary.accuracy >= 0.92 failed: summary.accuracy is 0.9",)
        assert override.user == backend.default_entity() and override.created_at
        other = backend.link_version(_trained(backend, "weaker", 0.8), "model", "clf")
        backend.update_version(
            other.id, VersionUpdate(aliases=["production"]), override_reason="rollback test"
        )
        assert [o.reason for o in backend.list_promotion_overrides(other.id)] == ["rollback test"]
        assert backend.get_version(link.id).aliases == ()

    def test_protection_changes_and_overrides_are_in_the_collection_history(self, backend: Backend) -> None:
        backend.protect_alias("model", "production", RULE)
        weak = backend.link_version(_trained(backend, "weak", 0.9), "model", "clf")
        backend.update_version(weak.id, VersionUpdate(aliases=["production"]), override_reason="hotfix 12")
        backend.unprotect_alias("model", "production")
        events = backend.collection_history(ORGANIZATION, MODELS, "clf")
        kinds = [(e.event_type, e.alias) for e in events]
        assert kinds[:4] == [
            ("REMOVE_PROTECTED_ALIAS", "production"),
            ("OVERRIDE_PROMOTION_RULE", "production"),
            ("ADD_ARTIFACT_ALIAS", "production"),
            ("ADD_ARTIFACT_ALIAS", "latest"),
        ] or kinds[:4] == [
            ("REMOVE_PROTECTED_ALIAS", "production"),
            ("ADD_ARTIFACT_ALIAS", "production"),
            ("OVERRIDE_PROMOTION_RULE", "production"),
            ("ADD_ARTIFACT_ALIAS", "latest"),
        ]
        override = next(e for e in events if e.event_type == "OVERRIDE_PROMOTION_RULE")
        assert override.note is not None and override.note.startswith("hotfix 12 (failed: summary.accuracy")
        protected = next(e for e in events if e.event_type == "ADD_PROTECTED_ALIAS")
        assert (protected.alias, protected.note) == ("production", RULE)
        actors = {e.actor for e in events}
        assert len(actors) == 1, actors  # one caller made every change

    @pytest.mark.parametrize("reason", ["", "   ", 5])
    def test_an_empty_override_reason_is_refused(self, backend: Backend, reason: object) -> None:
        backend.protect_alias("model", "production", RULE)
        weak = _trained(backend, "weak", 0.9)
        with pytest.raises(InvalidInputError, match="override_reason"):
            backend.link_version(weak, "model", "clf", ["production"], override_reason=reason)  # type: ignore[arg-type]
        assert backend.list_links(weak) == []

    def test_an_override_reason_outside_a_registry_is_refused(self, backend: Backend) -> None:
        version = log_text(backend, "data", "x").version
        with pytest.raises(InvalidInputError, match="override_reason is for the protected aliases"):
            backend.update_version(version.id, VersionUpdate(aliases=["best"]), override_reason="why")
        assert backend.get_version(version.id).aliases == ("latest",)

    def test_aliases_named_like_protected_ones_elsewhere_are_ordinary(self, backend: Backend) -> None:
        backend.protect_alias("model", "production")
        version = log_text(backend, "clf", "w", type_name="model", aliases=["production"]).version
        backend.update_version(version.id, VersionUpdate(aliases=[]))
        assert backend.get_version(version.id).aliases == ("latest",)
        backend.delete_version(version.id, delete_aliases=True)
