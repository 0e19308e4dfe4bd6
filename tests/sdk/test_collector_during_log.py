"""A log whose blobs the collector deletes between the upload check and the commit (bytes
that only a purged version held: a dedup hit on the store's bytes) stores them again and
commits; the version is whole. The collector runs for real in that window."""

from __future__ import annotations

from pathlib import Path

import pytest

import archivist as wandb
from archivist.sdk.context import get_context
from archivist.service import gc
from archivist.service.service import Service


@pytest.mark.embedded_only("the collector runs in this process on the embedded store")
def test_a_log_whose_blob_the_collector_took_stores_it_again(
    archivist_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"bytes a purged version held " * 1000)
    with wandb.init(project="p") as run:
        first = wandb.Artifact("first", type="dataset")
        first.add_file(str(data))
        run.log_artifact(first).wait()
    wandb.Api().artifact("p/first:v0").delete(delete_aliases=True)
    backend = get_context().backend
    assert isinstance(backend, Service)
    gc.run_collection(backend.engine, backend.store, 0, blob_grace_seconds=3600)  # purged; bytes still young
    assert backend.store.sizes([first.manifest.entries["data.bin"].digest])  # unreferenced, held
    commit = backend.commit_version
    collected: list[int] = []

    def commit_after_a_collection(request):  # type: ignore[no-untyped-def]
        if not collected:  # the collector strikes once, right before the commit
            collected.append(
                gc.run_collection(backend.engine, backend.store, 0, blob_grace_seconds=0).removed_blobs
            )
        return commit(request)

    monkeypatch.setattr(backend, "commit_version", commit_after_a_collection)
    with wandb.init(project="p") as run:
        second = wandb.Artifact("second", type="dataset")
        second.add_file(str(data))
        run.log_artifact(second).wait()
    assert collected and collected[0] >= 1  # it did take the file's bytes
    root = wandb.Api().artifact("p/second:v0").download(root=str(tmp_path / "down"))
    assert (Path(root) / "data.bin").read_bytes() == data.read_bytes()
