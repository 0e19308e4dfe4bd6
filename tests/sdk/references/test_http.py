"""http(s):// references against a real HTTP server on loopback, with and without ETags."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import archivist
from tests.fixtures.http_files import http_server
from tests.sdk.references.helpers import log_with


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "files").mkdir(parents=True)
    (root / "files/data.csv").write_bytes(b"x,y\n1,2\n")
    (root / "files/model.bin").write_bytes(b"\x00\x01" * 500)
    return root


def test_etag_is_the_digest_and_drift_is_detected(refs_env: Path, site: Path, tmp_path: Path) -> None:
    with http_server(site) as base:
        draft = archivist.Artifact("refs", type="dataset")
        (entry,) = draft.add_reference(f"{base}/files/data.csv")
        md5 = hashlib.md5(b"x,y\n1,2\n").hexdigest()
        assert (entry.path, entry.digest, entry.size) == ("data.csv", md5, 8)
        assert dict(entry.extra) == {"etag": f'"{md5}"'}
        logged = log_with(lambda d: d.add_reference(f"{base}/files/data.csv", name="in/d.csv"))
        root = Path(logged.download(str(tmp_path / "ok")))
        assert (root / "in/d.csv").read_bytes() == b"x,y\n1,2\n"
        logged.verify(str(root))
        (site / "files/data.csv").write_bytes(b"x,y\n3,4\n")  # same size, new ETag
        with pytest.raises(
            ValueError, match="Digest mismatch for reference 'in/d.csv'.*changed since it was logged"
        ):
            logged.download(str(tmp_path / "changed"), skip_cache=True)
        with pytest.raises(ValueError, match="reference 'in/d.csv'"):
            logged.verify(str(root))
        cached = Path(logged.download(str(tmp_path / "cached")))  # (URL, logged ETag) is cached
        assert (cached / "in/d.csv").read_bytes() == b"x,y\n1,2\n"
        (site / "files/data.csv").unlink()
        with pytest.raises(FileNotFoundError, match="in/d.csv.*HTTP 404"):
            logged.download(str(tmp_path / "gone"), skip_cache=True)


def test_without_etags_the_url_is_the_digest_and_the_size_is_checked(
    refs_env: Path, site: Path, tmp_path: Path
) -> None:
    with http_server(site, etags=False, head=False) as base:
        url = f"{base}/files/model.bin"
        logged = log_with(lambda d: d.add_reference(url))
        entry = logged.get_entry("model.bin")
        assert (entry.digest, entry.size, dict(entry.extra)) == (url, 1000, {})
        root = Path(logged.download(str(tmp_path / "ok")))
        assert (root / "model.bin").read_bytes() == b"\x00\x01" * 500
        logged.verify(str(root))  # HEAD is refused (405): the check reads the GET headers only
        (site / "files/model.bin").write_bytes(b"longer now" * 200)
        with pytest.raises(ValueError, match="2000 bytes now, 1000 logged"):
            logged.verify(str(root))
        with pytest.raises(ValueError, match="Digest mismatch for reference 'model.bin'"):
            logged.download(str(tmp_path / "changed"))


def test_checksum_false_and_bad_urls(refs_env: Path, site: Path) -> None:
    with http_server(site) as base:
        draft = archivist.Artifact("refs", type="dataset")
        (entry,) = draft.add_reference(f"{base}/nothing-here.txt", checksum=False)
        assert (entry.digest, entry.size) == (f"{base}/nothing-here.txt", 0)
        with pytest.raises(FileNotFoundError, match="HTTP 404"):
            draft.add_reference(f"{base}/missing.csv")
        with pytest.raises(ValueError, match="no file name to use; pass name="):
            draft.add_reference(f"{base}/")
    with pytest.raises(ValueError, match="names no host"):
        draft.add_reference("http:///files/data.csv")
