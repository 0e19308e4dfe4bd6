"""A damaged stored blob is never reused: logging its file again replaces it (embedded store,
a server over SQLite and a folder, a server over PostgreSQL and S3), and a download from
the embedded store names the damaged file and its version instead of writing wrong bytes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import archivist
from archivist.core.errors import DamagedBlobError
from archivist.core.manifest import hash_bytes
from archivist.sdk.context import reset_contexts
from archivist.storage.local import LocalBlobStore
from tests.fixtures.archivist_server import ServerProcess
from tests.fixtures.s3 import BUCKET, client_for
from tests.storage.test_local import overwrite

Damage = Callable[[str, bytes], None]
FILES = {"medium.bin": os.urandom(300_000), "large.bin": os.urandom(9 << 20), "notes.txt": b"first"}


@pytest.fixture
def damage_blob(archivist_env: Path, request: pytest.FixtureRequest) -> Damage:
    """Replace the stored bytes of a blob behind the store's back, wherever it is stored."""
    backend = request.node.callspec.params["archivist_env"]
    if backend == "server-pg-s3":
        client = client_for(request.getfixturevalue("sdk_s3_env"))
        return lambda digest, data: client.put_object(
            Bucket=BUCKET, Key=f"sdk/blobs/{digest[:2]}/{digest[2:]}", Body=data
        )
    if backend == "server":
        server: ServerProcess = request.getfixturevalue("sdk_server")
        folder = Path(server.store)
    else:
        folder = archivist_env / "blobs"
    return lambda digest, data: overwrite(folder / digest[:2] / digest[2:], data)


def _log(tree: Path) -> archivist.Artifact:
    with archivist.init(project="p") as run:
        art = archivist.Artifact("d", type="dataset")
        art.add_dir(str(tree))
        return run.log_artifact(art).wait()


def _write(tree: Path, files: dict[str, bytes]) -> Path:
    tree.mkdir(exist_ok=True)
    for name, data in files.items():
        (tree / name).write_bytes(data)
    return tree


def _download_fresh(name: str, root: Path) -> dict[str, bytes]:
    """Download from the store itself: the client cache (on a server) is emptied first."""
    shutil.rmtree(os.environ["ARCHIVIST_CACHE_DIR"], ignore_errors=True)
    reset_contexts()
    folder = Path(archivist.Api().artifact(name).download(str(root)))
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_logging_the_files_again_replaces_emptied_blobs(tmp_path: Path, damage_blob: Damage) -> None:
    tree = _write(tmp_path / "data", FILES)
    _log(tree)
    for name in ("medium.bin", "large.bin"):
        damage_blob(hash_bytes(FILES[name]), b"")  # as a power cut before durable commits left them
    _write(tree, {"notes.txt": b"second"})
    assert _log(tree).version == "v1"
    assert _download_fresh("p/d:v1", tmp_path / "v1") == {**FILES, "notes.txt": b"second"}
    assert _download_fresh("p/d:v0", tmp_path / "v0") == FILES


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("ARCHIVIST_DIR", str(home))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("ARCHIVIST_ENTITY", "ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY", "ARCHIVIST_PACK_SMALL_BLOBS"):
        monkeypatch.delenv(name, raising=False)
    reset_contexts()
    yield home
    reset_contexts()


def test_logging_the_files_again_replaces_blobs_cut_short_in_the_embedded_store(
    embedded: Path, tmp_path: Path
) -> None:
    """The embedded store compares the sizes of the files it stores with what it holds (a
    server, asked only which digests it lacks, finds a blob cut short when a commit checks
    entry sizes, or ``archivist fsck`` does)."""
    tree = _write(tmp_path / "data", FILES)
    _log(tree)
    store = LocalBlobStore(str(embedded / "blobs"))
    for name in ("medium.bin", "large.bin"):
        overwrite(Path(store.blob_path(hash_bytes(FILES[name]))), FILES[name][:1000])
    _write(tree, {"notes.txt": b"second"})
    assert _log(tree).version == "v1"
    assert _download_fresh("p/d:v0", tmp_path / "v0") == FILES


@pytest.mark.parametrize("link", [False, True], ids=["copy", "link"])
def test_an_embedded_download_names_the_damaged_file_and_version(
    embedded: Path, tmp_path: Path, link: bool
) -> None:
    logged = _log(_write(tmp_path / "data", FILES))
    digest = hash_bytes(FILES["medium.bin"])
    overwrite(Path(LocalBlobStore(str(embedded / "blobs")).blob_path(digest)), FILES["medium.bin"][:1000])
    with pytest.raises(DamagedBlobError) as caught:
        logged.download(str(tmp_path / "out"), link=link)
    message = str(caught.value)
    assert "file 'medium.bin' of artifact 'local/p/d:v0' is damaged" in message
    assert "archivist fsck --repair" in message
    assert not (tmp_path / "out" / "medium.bin").exists()


def test_an_embedded_download_names_a_damaged_packed_file(embedded: Path, tmp_path: Path) -> None:
    small = {f"f{i:02}.txt": os.urandom(2000) for i in range(20)}
    logged = _log(_write(tmp_path / "data", small))
    (pack,) = (embedded / "blobs" / "packs").glob("*.pack")
    overwrite(pack, pack.read_bytes()[:-1000])  # the last file packed loses its end
    with pytest.raises(DamagedBlobError, match=r"file 'f\d\d.txt' of artifact 'local/p/d:v0' is damaged"):
        logged.download(str(tmp_path / "out"))
