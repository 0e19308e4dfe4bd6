"""Delete and restore, TTL and retention through the SDK, on the embedded store and on a
server (``archivist_env``); time is moved with the sweep's ``as_of``, never slept through."""

from __future__ import annotations

import datetime as dt

import pytest

import archivist as wandb
from archivist.core.errors import ArtifactNotFoundError, ArtifactNotLoggedError, ConflictError
from tests.sdk.test_registry import _unique

pytestmark = pytest.mark.usefixtures("archivist_env")
LATER = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=40)


def _log(run, name: str, text: str, type_: str = "dataset", ttl=wandb.ArtifactTTL.INHERIT) -> wandb.Artifact:
    art = wandb.Artifact(name, type=type_)
    with art.new_file("data.txt", mode="w") as f:
        f.write(text)
    art.ttl = ttl
    return run.log_artifact(art).wait()


def test_delete_and_restore_round_trip(default_entity: str) -> None:
    with wandb.init(project="life") as run:
        first = _log(run, "cats", "one")
        second = _log(run, "cats", "two")
    api = wandb.Api()
    with pytest.raises(ConflictError, match="delete_aliases=True"):
        second.delete()
    second.delete(delete_aliases=True)
    assert second.state == "DELETED"
    with pytest.raises(ArtifactNotFoundError):
        api.artifact("life/cats:v1")
    assert api.artifact("life/cats:latest").id == first.id
    assert [a.version for a in api.deleted_artifacts("life/cats")] == ["v1"]
    assert second.restore().state == "COMMITTED"
    assert api.artifact("life/cats:latest").version == "v1"
    api.artifact("life/cats:v0").delete()
    assert api.restore_artifact("life/cats:v0").id == first.id
    with pytest.raises(ValueError, match="version number"):
        api.restore_artifact("life/cats:latest")


def test_collection_and_project_deletion_are_restorable(default_entity: str) -> None:
    with wandb.init(project="doomed") as run:
        _log(run, "cats", "one")
        _log(run, "dogs", "two")
    api = wandb.Api()
    api.artifact("doomed/cats:v0").collection.delete()
    assert [c.name for c in api.project("doomed").collections()] == ["dogs"]
    api.delete_project("doomed")
    assert "doomed" not in [p.name for p in api.projects()]
    assert {a.name for a in api.deleted_artifacts(project="doomed")} == {"cats:v0", "dogs:v0"}
    api.restore_artifact("doomed/dogs:v0")
    assert [c.name for c in api.project("doomed").collections()] == ["dogs"]


def test_ttl_policies_team_default_and_expiry(default_entity: str) -> None:
    api = wandb.Api()
    with wandb.init(project="ttl") as run:
        draft = wandb.Artifact("probe", type="dataset")
        with pytest.raises(ArtifactNotLoggedError, match="team default"):
            _ = draft.ttl
        own = _log(run, "own", "a", ttl=dt.timedelta(days=3))
        inherits = _log(run, "inherits", "b")
        never = _log(run, "never", "c", ttl=None)
    assert own.ttl == dt.timedelta(days=3) and inherits.ttl is None and never.ttl is None
    api.set_default_ttl(dt.timedelta(days=30))
    assert api.default_ttl() == dt.timedelta(days=30)
    assert api.artifact("ttl/inherits:v0").ttl == dt.timedelta(days=30)
    later = api.artifact("ttl/never:v0")
    later.ttl = dt.timedelta(days=60)
    later.save()
    later.ttl = wandb.ArtifactTTL.INHERIT
    later.save()
    assert api.artifact("ttl/never:v0").ttl == dt.timedelta(days=30)
    plan = api.sweep(dry_run=True, as_of=LATER)
    assert sorted(v.name.rsplit("/", 1)[1] for v in plan.deleted) == ["inherits:v0", "never:v0", "own:v0"]
    done = api.sweep(as_of=LATER)
    assert [v.name for v in done.deleted] == [v.name for v in plan.deleted]
    assert not api.artifact_exists("ttl/own:v0")
    api.set_default_ttl(None)


def test_who_may_set_ttls_on_the_embedded_store(capsys: pytest.CaptureFixture[str]) -> None:
    """The local user is the admin: with admins only, their TTLs still apply, without notice."""
    api = wandb.Api()
    assert api.ttl_editors() == "members"
    api.set_ttl_editors("admins")
    assert api.ttl_editors() == "admins"
    with wandb.init(project="ttl") as run:
        own = _log(run, "own", "a", ttl=dt.timedelta(days=3))
    assert own.ttl == dt.timedelta(days=3)
    assert "was not applied" not in capsys.readouterr().err
    with pytest.raises(ValueError, match="TTL editors"):
        api.set_ttl_editors("owners")
    api.set_ttl_editors("members")


def test_linking_clears_ttl_and_links_refuse_one(default_entity: str) -> None:
    collection = _unique("classifier")
    with wandb.init(project="ttl-links") as run:
        model = _log(run, "clf", "w", type_="model", ttl=dt.timedelta(days=1))
        link = model.link(f"wandb-registry-model/{collection}")
    assert wandb.Api().artifact("ttl-links/clf:v0").ttl is None
    with pytest.raises(ValueError, match="Cannot set TTL for link artifact"):
        link.ttl = dt.timedelta(days=1)
    link.aliases.append("staging")
    link.save()  # a link's other edits still save
    with pytest.raises(ValueError, match="generated type 'code'"):
        wandb.Artifact.internal("source-x", "code").ttl = dt.timedelta(days=1)


def test_retention_keeps_last_n_and_inputs_of_kept(default_entity: str) -> None:
    with wandb.init(project="ret", job_type="ingest") as run:
        raws = [_log(run, "raw", f"r{i}") for i in range(4)]
    with wandb.init(project="ret", job_type="train") as run:
        run.use_artifact("ret/raw:v0")
        _log(run, "model", "m", type_="model")
    api = wandb.Api()
    collection = api.artifact("ret/raw:v0").collection
    assert collection.retention is None
    collection.retention = wandb.Retention(keep_last=2)
    collection.save()
    assert api.artifact("ret/raw:v3").collection.retention == wandb.Retention(keep_last=2)
    report = api.sweep()
    assert [v.name.rsplit("/", 1)[1] for v in report.deleted] == ["raw:v1"]  # v0 made the model
    assert [a.version for a in api.artifacts("dataset", "ret/raw")] == ["v3", "v2", "v0"]
    assert raws[1].id == api.deleted_artifacts("ret/raw")[0].id
    collection.retention = wandb.Retention(max_age=dt.timedelta(days=1))
    collection.save()
    assert {v.name.rsplit(":", 1)[1] for v in api.sweep(as_of=LATER).deleted} == {"v2", "v3"}
