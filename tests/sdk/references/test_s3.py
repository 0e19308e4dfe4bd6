"""s3:// references against moto's S3 server on loopback (AWS_ENDPOINT_URL points at it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import archivist
from tests.sdk.references.conftest import s3_client, unique_bucket
from tests.sdk.references.helpers import log_with


def _etag(s3: Any, bucket: str, key: str, **kwargs: Any) -> str:
    return s3.head_object(Bucket=bucket, Key=key, **kwargs)["ETag"].strip('"')


def test_single_object_records_etag_version_and_size(s3: Any, versioned_bucket: str) -> None:
    put = s3.put_object(Bucket=versioned_bucket, Key="data/train.csv", Body=b"a,b\n1,2\n")
    draft = archivist.Artifact("refs", type="dataset")
    (entry,) = draft.add_reference(f"s3://{versioned_bucket}/data/train.csv")
    etag = _etag(s3, versioned_bucket, "data/train.csv")
    assert entry.path == "train.csv"
    assert entry.ref == f"s3://{versioned_bucket}/data/train.csv"
    assert entry.digest == etag
    assert entry.size == 8
    assert dict(entry.extra) == {"etag": etag, "versionID": put["VersionId"]}
    (named,) = draft.add_reference(f"s3://{versioned_bucket}/data/train.csv", name="inputs/t.csv")
    assert named.path == "inputs/t.csv"


def test_prefix_expands_relative_to_the_prefix_and_skips_folder_markers(s3: Any, bucket: str) -> None:
    for key, body in {
        "data/a.csv": b"a",
        "data/sub/b.csv": b"bb",
        "data/": b"",
        "data/sub/": b"",
        "data/empty.txt": b"",
        "database/not-under-data.csv": b"x",
    }.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    draft = archivist.Artifact("refs", type="dataset")
    named = draft.add_reference(f"s3://{bucket}/data", name="train")
    assert sorted(e.path for e in named) == ["train/a.csv", "train/sub/b.csv"]
    assert {e.ref for e in named} == {f"s3://{bucket}/data/a.csv", f"s3://{bucket}/data/sub/b.csv"}
    unnamed = archivist.Artifact("refs2", type="dataset").add_reference(f"s3://{bucket}/data/")
    assert sorted(e.path for e in unnamed) == ["a.csv", "sub/b.csv"]
    whole = archivist.Artifact("refs3", type="dataset").add_reference(f"s3://{bucket}")
    assert sorted(e.path for e in whole) == ["data/a.csv", "data/sub/b.csv", "database/not-under-data.csv"]


def test_directory_content_type_is_a_prefix(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="folder", Body=b"", ContentType="application/x-directory")
    s3.put_object(Bucket=bucket, Key="folder/f.txt", Body=b"f")
    entries = archivist.Artifact("refs", type="dataset").add_reference(f"s3://{bucket}/folder")
    assert [e.path for e in entries] == ["f.txt"]


def test_a_prefix_holding_an_object_and_objects_under_its_name_is_refused(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="data/model", Body=b"a file")  # S3 keys may nest; files may not
    s3.put_object(Bucket=bucket, Key="data/model/weights.bin", Body=b"w")
    draft = archivist.Artifact("refs", type="dataset")
    with pytest.raises(ValueError, match="'model' cannot be both a file and the folder of 'model/weights"):
        draft.add_reference(f"s3://{bucket}/data")
    assert len(draft.manifest.entries) == 0


def test_max_objects(s3: Any, bucket: str) -> None:
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"p/{i}.txt", Body=b"x")
    draft = archivist.Artifact("refs", type="dataset")
    with pytest.raises(ValueError, match="Exceeded 2 objects tracked.*pass max_objects to add_reference"):
        draft.add_reference(f"s3://{bucket}/p", max_objects=2)
    assert len(draft.manifest) == 0  # a refused listing adds nothing
    assert len(draft.add_reference(f"s3://{bucket}/p", max_objects=3)) == 3


def test_checksum_false_records_the_uri_without_any_request(s3: Any) -> None:
    uri = "s3://bucket-that-was-never-created/some/prefix"
    (entry,) = archivist.Artifact("refs", type="dataset").add_reference(uri, checksum=False)
    assert (entry.path, entry.digest, entry.size, entry.ref) == ("prefix", uri, 0, uri)


def test_overwritten_object_in_a_versioned_bucket_still_downloads(
    refs_env: Path, s3: Any, versioned_bucket: str, tmp_path: Path
) -> None:
    s3.put_object(Bucket=versioned_bucket, Key="d/model.bin", Body=b"weights v1")
    s3.put_object(Bucket=versioned_bucket, Key="d/config.json", Body=b"{}")

    def add(draft: archivist.Artifact) -> None:
        draft.add_reference(f"s3://{versioned_bucket}/d/model.bin")  # HEAD: the version is pinned
        draft.add_reference(f"s3://{versioned_bucket}/d", name="listed")  # listing: found again by ETag

    logged = log_with(add)
    s3.put_object(Bucket=versioned_bucket, Key="d/model.bin", Body=b"weights v2, overwritten")
    root = Path(logged.download(str(tmp_path / "dl"), skip_cache=True))
    assert (root / "model.bin").read_bytes() == b"weights v1"
    assert (root / "listed/model.bin").read_bytes() == b"weights v1"
    logged.verify(str(root))  # the logged bytes are still available: no drift to report


def test_version_id_in_the_uri_pins_that_version(
    refs_env: Path, s3: Any, versioned_bucket: str, tmp_path: Path
) -> None:
    first = s3.put_object(Bucket=versioned_bucket, Key="k.txt", Body=b"first")["VersionId"]
    s3.put_object(Bucket=versioned_bucket, Key="k.txt", Body=b"second")
    logged = log_with(lambda d: d.add_reference(f"s3://{versioned_bucket}/k.txt?versionId={first}"))
    entry = logged.get_entry("k.txt")
    assert entry.extra["versionID"] == first
    assert entry.digest == _etag(s3, versioned_bucket, "k.txt", VersionId=first)
    assert Path(entry.download(str(tmp_path / "dl"))).read_bytes() == b"first"
    with pytest.raises(ValueError, match="version 'no-such-version'"):
        archivist.Artifact("x", type="dataset").add_reference(
            f"s3://{versioned_bucket}/k.txt?versionId=no-such-version"
        )


def test_changed_and_deleted_objects_fail_the_download_naming_the_entry(
    refs_env: Path, s3: Any, bucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")
    s3.put_object(Bucket=bucket, Key="b.txt", Body=b"b")

    def add(draft: archivist.Artifact) -> None:
        draft.add_reference(f"s3://{bucket}/a.txt")
        draft.add_reference(f"s3://{bucket}/b.txt")

    logged = log_with(add)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"changed")  # the bucket keeps no versions
    with pytest.raises(ValueError, match=r"Digest mismatch for reference 'a.txt'"):
        logged.download(str(tmp_path / "changed"), skip_cache=True)
    with pytest.raises(
        ValueError, match=r"reference 'a.txt' \(s3://.*/a.txt\): .*changed since it was logged"
    ):
        logged.verify(str(tmp_path / "changed"))
    s3.delete_object(Bucket=bucket, Key="b.txt")
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")  # restored: a matches again
    with pytest.raises(FileNotFoundError, match="b.txt"):
        logged.download(str(tmp_path / "missing"), skip_cache=True)
    root = Path(logged.download(str(tmp_path / "allowed"), allow_missing_references=True, skip_cache=True))
    assert (root / "a.txt").read_bytes() == b"a"
    assert not (root / "b.txt").exists()
    assert "skipped missing reference 'b.txt'" in capsys.readouterr().err


def test_downloads_are_cached_by_uri_and_etag(refs_env: Path, s3: Any, bucket: str, tmp_path: Path) -> None:
    s3.put_object(Bucket=bucket, Key="big.bin", Body=b"0123456789" * 1000)
    logged = log_with(lambda d: d.add_reference(f"s3://{bucket}/big.bin"))
    logged.download(str(tmp_path / "first"))
    s3.delete_object(Bucket=bucket, Key="big.bin")
    second = Path(logged.download(str(tmp_path / "second")))  # served by the client cache
    assert (second / "big.bin").read_bytes() == b"0123456789" * 1000
    with pytest.raises(FileNotFoundError):
        logged.download(str(tmp_path / "third"), skip_cache=True)


def test_missing_bucket_and_missing_objects_are_named(s3: Any, bucket: str) -> None:
    draft = archivist.Artifact("refs", type="dataset")
    with pytest.raises(FileNotFoundError, match="S3 bucket 'no-such-bucket' .*does not exist"):
        draft.add_reference("s3://no-such-bucket/data/x.csv")
    with pytest.raises(
        FileNotFoundError,
        match=rf"no object 'nothing/here' and no objects under 'nothing/here/' in '{bucket}'",
    ):
        draft.add_reference(f"s3://{bucket}/nothing/here")


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://", "names no bucket"),
        ("s3:///key.txt", "names no bucket"),
        ("s3://bad bucket/key", "not a bucket name"),
        ("s3://bucket/key?versionId=1&other=2", "only query understood is \\?versionId="),
        ("s3://bucket/key?versionId=", "only query understood"),
        ("s3://bucket/a/../b.txt", r"'\.\.' segment"),
    ],
)
def test_malformed_s3_uris(s3: Any, uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        archivist.Artifact("refs", type="dataset").add_reference(uri)


MANY = 1_050  # moto pages listings by 1,000 keys


@pytest.fixture(scope="module")
def many_objects(s3_endpoint: str) -> str:
    """A bucket holding MANY objects under many/, filled once for the module."""
    client = s3_client(s3_endpoint)
    name = unique_bucket("many")
    client.create_bucket(Bucket=name)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: client.put_object(Bucket=name, Key=f"many/{i:05d}", Body=b"x"), range(MANY)))
    return name


def test_listing_streams_over_several_pages(s3: Any, many_objects: str) -> None:
    entries = archivist.Artifact("refs", type="dataset").add_reference(f"s3://{many_objects}/many")
    assert len(entries) == MANY
    assert entries[-1].path == f"{MANY - 1:05d}"
