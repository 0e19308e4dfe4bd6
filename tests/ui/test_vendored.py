"""The vendored libraries are the files VENDORED.md records (name, version, checksum)."""

from __future__ import annotations

import hashlib
import re

from archivist.server.ui.rendering import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"


def test_every_vendored_file_matches_its_recorded_checksum() -> None:
    record = (VENDOR / "VENDORED.md").read_text()
    recorded = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", record, re.M))
    shipped = {p.name for p in VENDOR.iterdir() if p.suffix in (".js", ".css")}
    assert set(recorded) == shipped
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        assert f"`{name}`" in record.split("SHA-256")[0], f"{name} has no row in the table"
    assert "MIT" in (VENDOR / "LICENSES.txt").read_text()
