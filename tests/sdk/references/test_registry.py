"""Choosing a handler, bad input, untracked schemes, lazy imports of provider packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import archivist
from archivist.sdk.references import handler_for
from archivist.sdk.references import s3 as s3_module
from tests.sdk.references.helpers import log_with


@pytest.mark.parametrize(
    ("uri", "scheme"),
    [
        ("file:///data", "file"),
        ("s3://bucket/key", "s3"),
        ("S3://bucket/key", "s3"),
        ("gs://bucket/key", "gs"),
        ("https://acct.blob.core.windows.net/container/blob", "azure"),
        ("az://container/blob", "azure"),
        ("https://example.org/data.csv", "https"),
        ("http://example.org/data.csv", "http"),
        ("wandb-artifact://1/a.txt", "wandb-artifact"),
        ("custom://thing", "*"),
    ],
)
def test_handler_by_scheme_and_host(uri: str, scheme: str) -> None:
    assert handler_for(uri).scheme == scheme


@pytest.mark.parametrize(
    ("uri", "error", "message"),
    [
        ("/abs/path/data.csv", ValueError, "References must be URIs.*use file://"),
        ("data.csv", ValueError, "References must be URIs"),
        ("://nothing", ValueError, "has no scheme"),
        ("custom://thing", ValueError, "cannot read.*pass name="),
        ("abfs://container/blob", ValueError, "https://<account>.blob.core.windows.net"),
        ("wandb-client-artifact://abc/x", NotImplementedError, "log that artifact"),
    ],
)
def test_bad_references_are_refused_clearly(uri: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        archivist.Artifact("refs", type="dataset").add_reference(uri)


def test_bad_arguments() -> None:
    draft = archivist.Artifact("refs", type="dataset")
    with pytest.raises(ValueError, match="max_objects must be at least 1"):
        draft.add_reference("s3://bucket/key", max_objects=0)
    with pytest.raises(ValueError, match="URI string or an ArtifactManifestEntry"):
        draft.add_reference(42)  # type: ignore[arg-type]


def test_untracked_scheme_is_recorded_but_not_downloadable(
    refs_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logged = log_with(lambda d: d.add_reference("hdfs://cluster/data", name="data"))
    entry = logged.get_entry("data")
    assert (entry.digest, entry.ref) == ("hdfs://cluster/data", "hdfs://cluster/data")
    with pytest.raises(ValueError, match="scheme not recognized"):
        logged.download(str(tmp_path / "dl"))
    (tmp_path / "empty").mkdir()
    logged.verify(str(tmp_path / "empty"))
    assert "skipped verification of 1 refs that record no checksum" in capsys.readouterr().err


def test_missing_provider_package_names_the_extra(
    provider_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "obstore", None)  # as if it were not installed
    s3_module._open.cache_clear()
    try:
        with pytest.raises(NotImplementedError, match=r"pip install 'archivist\[s3\]'"):
            archivist.Artifact("refs", type="dataset").add_reference("s3://bucket/key")
    finally:
        s3_module._open.cache_clear()


def test_provider_packages_are_imported_only_when_used() -> None:
    code = (
        "import sys, archivist\n"
        "archivist.Artifact('x', type='dataset').add_reference('custom://x', name='x')\n"
        "heavy = ('obstore', 'boto3', 'google.cloud.storage', 'azure.storage.blob')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
