"""Azure blob references against Azurite on loopback.

References use the public URL form https://<account>.blob.core.windows.net/...;
AZURE_STORAGE_ENDPOINT sends the requests to Azurite. Azurite keeps no blob
versions, so fetching an older version is tested against moto's versioned S3
bucket instead (test_s3.py); here an overwrite is drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import archivist
from tests.fixtures.emulators import AZURITE_ACCOUNT
from tests.sdk.references.helpers import log_with


def _url(container: Any, key: str = "") -> str:
    return f"https://{AZURITE_ACCOUNT}.blob.core.windows.net/{container.container_name}/{key}".rstrip("/")


def test_single_blob_and_prefix(azure_container: Any) -> None:
    azure_container.upload_blob("data/a.csv", b"a,b\n")
    azure_container.upload_blob("data/sub/b.csv", b"b")
    azure_container.upload_blob("data/sub", b"", metadata={"hdi_isfolder": "true"})
    azure_container.upload_blob("data/empty", b"")
    etag = azure_container.get_blob_client("data/a.csv").get_blob_properties().etag.strip('"')
    draft = archivist.Artifact("refs", type="dataset")
    (single,) = draft.add_reference(_url(azure_container, "data/a.csv"))
    assert (single.path, single.digest, single.size) == ("a.csv", etag, 4)
    assert single.ref == _url(azure_container, "data/a.csv")
    assert single.extra["etag"] == etag
    listed = draft.add_reference(_url(azure_container, "data"), name="all")
    assert sorted(e.path for e in listed) == ["all/a.csv", "all/sub/b.csv"]
    folder = draft.add_reference(_url(azure_container, "data/sub"), name="folder")  # hdi_isfolder stub
    assert [e.path for e in folder] == ["folder/b.csv"]
    with pytest.raises(ValueError, match="Exceeded 1 objects tracked"):
        archivist.Artifact("r2", type="dataset").add_reference(_url(azure_container, "data"), max_objects=1)


def test_download_verify_and_drift(refs_env: Path, azure_container: Any, tmp_path: Path) -> None:
    azure_container.upload_blob("m/w.bin", b"v1")
    azure_container.upload_blob("m/n.txt", b"notes")
    logged = log_with(lambda d: d.add_reference(_url(azure_container, "m")))
    root = Path(logged.download(str(tmp_path / "ok")))
    assert (root / "w.bin").read_bytes() == b"v1"
    logged.verify(str(root))
    azure_container.upload_blob("m/w.bin", b"v2", overwrite=True)
    with pytest.raises(ValueError, match="Digest mismatch for reference 'w.bin'"):
        logged.download(str(tmp_path / "changed"), skip_cache=True)
    with pytest.raises(ValueError, match="reference 'w.bin'.*changed since it was logged"):
        logged.verify(str(root))
    azure_container.delete_blob("m/n.txt")
    with pytest.raises(FileNotFoundError, match="n.txt"):
        logged.download(str(tmp_path / "gone"), path_prefix="n.txt", skip_cache=True)


def test_az_scheme_takes_the_account_from_the_environment(
    azure_container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    azure_container.upload_blob("k/a.txt", b"a")
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT)
    (entry,) = archivist.Artifact("refs", type="dataset").add_reference(
        f"az://{azure_container.container_name}/k/a.txt"
    )
    assert entry.ref == _url(azure_container, "k/a.txt")  # recorded in the public URL form


def test_checksum_false_missing_container_and_malformed_urls(
    azure_container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = archivist.Artifact("refs", type="dataset")
    uri = _url(azure_container, "never/written")
    (entry,) = draft.add_reference(uri, checksum=False)
    assert (entry.path, entry.digest) == ("written", uri)
    missing = f"https://{AZURITE_ACCOUNT}.blob.core.windows.net/no-such-container/x.txt"
    with pytest.raises(FileNotFoundError, match="Azure container 'no-such-container' .* does not exist"):
        draft.add_reference(missing)
    with pytest.raises(ValueError, match="names no container"):
        draft.add_reference(f"https://{AZURITE_ACCOUNT}.blob.core.windows.net/")
    with pytest.raises(ValueError, match="only query understood is \\?versionId="):
        draft.add_reference(_url(azure_container, "x.txt") + "?sv=2020&sig=abc")
    monkeypatch.delenv("AZURE_STORAGE_ACCOUNT_NAME", raising=False)
    with pytest.raises(ValueError, match="names no account: set AZURE_STORAGE_ACCOUNT_NAME"):
        draft.add_reference("az://container/x.txt")
