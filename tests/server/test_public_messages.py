"""PathScrubber: what a server's error messages say instead of where it keeps its data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from archivist.server.public_messages import DATABASE_WORDS, STORE_WORDS, TEMP_WORDS, PathScrubber
from archivist.storage.local import LocalBlobStore


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, PathScrubber]:
    """A folder store reached through a symbolic link, and the scrubber of a server over it."""
    real = tmp_path / "srv" / "archivist"
    (real / "blobs").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    store = LocalBlobStore(str(tmp_path / "link" / "blobs"))
    return real, PathScrubber.for_server(store, f"sqlite:///{tmp_path}/link/meta.sqlite")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("blob 12ab is not in the store at {link}/blobs", f"blob 12ab is not in {STORE_WORDS}"),
        (
            "cannot open the pack index {real}/blobs/packs/index.sqlite: unable to open database file",
            f"cannot open the pack index packs/index.sqlite in {STORE_WORDS}: unable to open database file",
        ),
        (
            "[Errno 20] Not a directory: '{link}/blobs/tmp/ab.1.tmp' -> '{link}/blobs/ab/cdef'",
            f"[Errno 20] Not a directory: tmp/ab.1.tmp in {STORE_WORDS} -> ab/cdef in {STORE_WORDS}",
        ),
        ("store LocalBlobStore('{link}/blobs') takes uploads", f"{STORE_WORDS} takes uploads"),
        ("damaged: {real}/blobs/ab/cd.", f"damaged: ab/cd in {STORE_WORDS}."),
        ("cannot write {link}/meta.sqlite-wal", f"cannot write {DATABASE_WORDS}"),
        ("cannot read {temp}/archivist-upload-x1y2: gone", f"cannot read {TEMP_WORDS}: gone"),
    ],
)
def test_server_places_become_words(places: tuple[Path, PathScrubber], message: str, expected: str) -> None:
    real, scrub = places
    link = str(real.parent.parent / "link")
    shown = scrub(message.format(link=link, real=real, temp=tempfile.gettempdir()))
    assert shown == expected
    assert str(real.parent.parent) not in shown


@pytest.mark.parametrize(
    "message",
    [
        "entry images/cat.png of ent/proj/faces:v3 is not in the manifest",
        "reference file:///data/train.csv cannot be read",
        "path {link}/blobs2/x is not ours",  # a folder beside the store's, not inside it
        "cannot read {temp}/user-data.csv",
    ],
)
def test_other_text_is_left_alone(places: tuple[Path, PathScrubber], message: str) -> None:
    real, scrub = places
    text = message.format(link=real.parent.parent / "link", temp=tempfile.gettempdir())
    assert scrub(text) == text


def test_the_embedded_store_keeps_naming_its_folder(tmp_path: Path) -> None:
    """Only a server scrubs: the embedded store's errors name the user's own folders."""
    store = LocalBlobStore(str(tmp_path / "blobs"))
    with pytest.raises(LookupError, match=os.fspath(tmp_path)):
        store.open("ab" * 32)
