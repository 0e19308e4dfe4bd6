"""References to entries of other artifacts (wandb-artifact://<version id>/<path>)."""

from __future__ import annotations

from pathlib import Path

import pytest

import archivist
from tests.conftest import write_tree
from tests.sdk.references.helpers import log_with


def test_reference_to_an_entry_records_the_target_and_downloads_it(refs_env: Path, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "src", {"images/cat.png": b"cat bytes", "labels.csv": b"cat,1\n"})
    base = log_with(lambda d: d.add_dir(str(source)), name="base")
    cat = base.get_entry("images/cat.png")
    derived = log_with(lambda d: d.add_reference(cat), name="derived")
    entry = derived.get_entry("cat.png")  # the basename, as W&B names it
    assert entry.ref == f"wandb-artifact://{base.id}/images/cat.png" == cat.ref_url()
    assert (entry.digest, entry.size) == (cat.digest, 0)
    root = Path(derived.download(str(tmp_path / "dl")))
    assert (root / "cat.png").read_bytes() == b"cat bytes"
    derived.verify(str(root))
    assert Path(derived.download(str(tmp_path / "dl"))) == root  # present already: skipped


def test_chains_resolve_to_the_concrete_entry_and_names_apply(refs_env: Path, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "src", {"a.txt": b"a"})
    first = log_with(lambda d: d.add_dir(str(source)), name="first")
    second = log_with(lambda d: d.add_reference(first.get_entry("a.txt"), name="copy/a.txt"), name="second")
    third = log_with(lambda d: d.add_reference(second.get_entry("copy/a.txt")), name="third")
    entry = third.get_entry("a.txt")
    assert entry.ref == f"wandb-artifact://{first.id}/a.txt"  # the chain collapsed onto `first`
    assert (Path(third.download(str(tmp_path / "dl"))) / "a.txt").read_bytes() == b"a"
    by_uri = archivist.Artifact("by-uri", type="dataset").add_reference(
        f"wandb-artifact://{second.id}/copy/a.txt"
    )
    assert by_uri[0].ref == entry.ref


def test_reference_to_an_external_reference_follows_it(refs_env: Path, tmp_path: Path) -> None:
    shared = write_tree(tmp_path / "shared", {"big.bin": b"external"})
    outer = log_with(lambda d: d.add_reference(f"file://{shared}/big.bin"), name="outer")
    inner = log_with(lambda d: d.add_reference(outer.get_entry("big.bin")), name="inner")
    root = Path(inner.download(str(tmp_path / "dl")))
    assert (root / "big.bin").read_bytes() == b"external"
    (shared / "big.bin").write_bytes(b"changed!")
    with pytest.raises(ValueError, match="reference 'big.bin'.*changed since it was logged"):
        inner.verify(str(root))
    with pytest.raises(ValueError, match="Digest mismatch"):
        inner.download(str(tmp_path / "dl2"))


def test_deleted_target_and_bad_references(refs_env: Path, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "src", {"a.txt": b"a"})
    target = log_with(lambda d: d.add_dir(str(source)), name="target")
    referring = log_with(lambda d: d.add_reference(target.get_entry("a.txt")), name="referring")
    target.delete(delete_aliases=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        ValueError, match=rf"reference 'a.txt' \(wandb-artifact://{target.id}/a.txt\): .*not found"
    ):
        referring.verify(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="not found"):
        referring.download(str(tmp_path / "dl"))
    draft = archivist.Artifact("refs", type="dataset")
    with pytest.raises(KeyError, match="has no 'missing.txt'"):
        draft.add_reference(f"wandb-artifact://{referring.id}/missing.txt")
    with pytest.raises(ValueError, match="is malformed"):
        draft.add_reference("wandb-artifact://12")
    unlogged = archivist.Artifact("unlogged", type="dataset")
    unlogged.add_dir(str(source))
    with pytest.raises(AttributeError, match="it is a draft; log it"):
        draft.add_reference(unlogged.get_entry("a.txt"))
    with pytest.raises(NotImplementedError, match="points into an artifact draft"):
        draft.add_reference("wandb-client-artifact://abc/a.txt")
