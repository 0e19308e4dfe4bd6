"""gs:// references against gcp-storage-emulator on loopback (STORAGE_EMULATOR_HOST).

The emulator keeps only the newest generation of an object and ignores a
requested generation, so fetching an older generation is tested against moto's
versioned S3 bucket instead (test_s3.py); here an overwrite is drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import archivist
from tests.sdk.references.helpers import log_with


def _upload(bucket: Any, key: str, data: bytes) -> Any:
    blob = bucket.blob(key)
    blob.upload_from_string(data)
    return bucket.get_blob(key)


def test_single_object_records_etag_and_generation(gcs_bucket: Any) -> None:
    blob = _upload(gcs_bucket, "data/train.csv", b"a,b\n1,2\n")
    (entry,) = archivist.Artifact("refs", type="dataset").add_reference(
        f"gs://{gcs_bucket.name}/data/train.csv"
    )
    assert (entry.path, entry.size, entry.ref) == ("train.csv", 8, f"gs://{gcs_bucket.name}/data/train.csv")
    assert entry.digest == blob.etag
    assert dict(entry.extra) == {"etag": blob.etag, "versionID": str(blob.generation)}


def test_prefix_expansion_skips_folder_markers(gcs_bucket: Any) -> None:
    for key, data in {
        "d/": b"",
        "d/a.txt": b"a",
        "d/sub/": b"",
        "d/sub/b.txt": b"bb",
        "dx/c.txt": b"c",
    }.items():
        _upload(gcs_bucket, key, data)
    entries = archivist.Artifact("refs", type="dataset").add_reference(f"gs://{gcs_bucket.name}/d", name="in")
    assert sorted(e.path for e in entries) == ["in/a.txt", "in/sub/b.txt"]
    assert all(e.extra.get("versionID") for e in entries)  # a listing carries generations too
    with pytest.raises(ValueError, match="Exceeded 1 objects tracked"):
        archivist.Artifact("r2", type="dataset").add_reference(f"gs://{gcs_bucket.name}/d", max_objects=1)


def test_download_verify_and_drift(refs_env: Path, gcs_bucket: Any, tmp_path: Path) -> None:
    _upload(gcs_bucket, "m/weights.bin", b"v1")
    _upload(gcs_bucket, "m/notes.txt", b"notes")
    logged = log_with(lambda d: d.add_reference(f"gs://{gcs_bucket.name}/m"))
    root = Path(logged.download(str(tmp_path / "ok")))
    assert (root / "weights.bin").read_bytes() == b"v1"
    logged.verify(str(root))
    _upload(gcs_bucket, "m/weights.bin", b"v2")
    with pytest.raises(ValueError, match="Digest mismatch for reference 'weights.bin'"):
        logged.download(str(tmp_path / "changed"), skip_cache=True)
    with pytest.raises(ValueError, match="reference 'weights.bin'.*changed since it was logged"):
        logged.verify(str(root))
    gcs_bucket.blob("m/notes.txt").delete()
    with pytest.raises(FileNotFoundError, match="notes.txt"):
        logged.download(str(tmp_path / "gone"), path_prefix="notes", skip_cache=True)


def test_cached_download_survives_deletion(refs_env: Path, gcs_bucket: Any, tmp_path: Path) -> None:
    _upload(gcs_bucket, "c.bin", b"cached bytes")
    logged = log_with(lambda d: d.add_reference(f"gs://{gcs_bucket.name}/c.bin"))
    logged.download(str(tmp_path / "first"))
    gcs_bucket.blob("c.bin").delete()
    assert (Path(logged.download(str(tmp_path / "second"))) / "c.bin").read_bytes() == b"cached bytes"


def test_checksum_false_and_pinned_generation(gcs_bucket: Any) -> None:
    blob = _upload(gcs_bucket, "p.txt", b"p")
    draft = archivist.Artifact("refs", type="dataset")
    (unchecked,) = draft.add_reference(f"gs://{gcs_bucket.name}/p.txt", name="u.txt", checksum=False)
    assert unchecked.digest == f"gs://{gcs_bucket.name}/p.txt"
    (pinned,) = draft.add_reference(f"gs://{gcs_bucket.name}/p.txt#{blob.generation}", name="pinned.txt")
    assert pinned.extra["versionID"] == str(blob.generation)
    with pytest.raises(ValueError, match="version '1' of 'p.txt' does not exist"):
        draft.add_reference(f"gs://{gcs_bucket.name}/p.txt#1", name="missing-generation.txt")


def test_missing_bucket_and_malformed_uris(gcs_bucket: Any) -> None:
    draft = archivist.Artifact("refs", type="dataset")
    with pytest.raises(FileNotFoundError, match="GCS bucket 'no-such-bucket' does not exist"):
        draft.add_reference("gs://no-such-bucket/x.txt")
    with pytest.raises(ValueError, match="names no bucket"):
        draft.add_reference("gs:///x.txt")
    with pytest.raises(ValueError, match="generation 'abc' is not a number"):
        draft.add_reference(f"gs://{gcs_bucket.name}/x.txt#abc")
    with pytest.raises(ValueError, match="not a bucket name"):
        draft.add_reference("gs://UPPER/x.txt")
