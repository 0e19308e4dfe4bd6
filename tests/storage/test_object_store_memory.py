"""A 300 MiB blob moves through an ObjectBlobStore (and a presigned transfer) in
bounded memory. Its own module, so that it gets a fresh moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.s3 import s3_endpoint_fixture, s3_prefix_fixture, s3_url_fixture  # noqa: F401

MIB = 1024 * 1024


@pytest.mark.slow
def test_a_300_mib_blob_streams_through_with_bounded_memory(
    s3_endpoint: str, s3_url: str, tmp_path: Path
) -> None:
    """put_file, open/read, then a presigned multipart upload, server-side verification
    and a presigned download, all in one fresh process whose peak RSS is measured."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.storage.memory_probe", s3_url, str(tmp_path), str(300 * MIB)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
        env=os.environ.copy(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(figures)
    assert figures["verified"]
    assert figures["store_peak_growth_mib"] < 75
    assert figures["direct_peak_growth_mib"] < 75
