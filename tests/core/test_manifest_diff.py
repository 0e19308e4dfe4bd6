import pytest

from archivist.core.manifest import Entry, Manifest, hash_bytes, iter_manifest_entries
from archivist.core.manifest_diff import EntryChange, diff_sorted

A, B = hash_bytes(b"a"), hash_bytes(b"b")


def _changes(old: list[Entry], new: list[Entry]) -> list[EntryChange | None]:
    return list(diff_sorted(sorted(old, key=lambda e: e.path), sorted(new, key=lambda e: e.path)))


def test_added_removed_changed_and_unchanged_in_path_order() -> None:
    old = [
        Entry("keep", A, 1),
        Entry("gone", A, 2),
        Entry("edit", A, 3),
        Entry("moved", A, 4, ref="s3://b/x"),
    ]
    new = [Entry("keep", A, 1), Entry("edit", B, 7), Entry("moved", A, 4, ref="s3://b/y"), Entry("new", B, 5)]
    changes = _changes(old, new)
    assert [(c.path, c.status, c.old_size, c.new_size) if c else None for c in changes] == [
        ("edit", "changed", 3, 7),
        ("gone", "removed", 2, None),
        None,  # keep
        ("moved", "changed", 4, 4),  # same digest, another reference
        ("new", "added", None, 5),
    ]
    assert sum(c.size_delta for c in changes if c) == 4 - 2 + 5


def test_one_side_empty() -> None:
    entries = [Entry("a", A, 1), Entry("b", B, 2)]
    assert [c.status for c in _changes([], entries) if c] == ["added", "added"]
    assert [c.status for c in _changes(entries, []) if c] == ["removed", "removed"]
    assert _changes([], []) == []


def test_streams_of_stored_manifests_merge() -> None:
    old = Manifest(Entry(f"d/{i:04d}", A, 1) for i in range(0, 1000, 2))
    new = Manifest(Entry(f"d/{i:04d}", A if i % 10 else B, 1) for i in range(0, 1000, 3))
    changes = list(
        diff_sorted(iter_manifest_entries([old.to_bytes()]), iter_manifest_entries([new.to_bytes()]))
    )
    expected_added = {e.path for e in new} - {e.path for e in old}
    assert {c.path for c in changes if c and c.status == "added"} == expected_added
    assert {c.path for c in changes if c and c.status == "removed"} == {e.path for e in old} - {
        e.path for e in new
    }
    both = [p for p in new.entries if p in old.entries]
    assert {c.path for c in changes if c and c.status == "changed"} == {
        p for p in both if new.entries[p].digest != old.entries[p].digest
    }
    assert changes.count(None) == sum(new.entries[p].digest == old.entries[p].digest for p in both)


def test_unsorted_input_is_refused() -> None:
    with pytest.raises(ValueError, match="not sorted"):
        list(diff_sorted([Entry("b", A), Entry("a", A)], []))
    with pytest.raises(ValueError, match="not sorted"):
        list(diff_sorted([], [Entry("a", A), Entry("a", B)]))
