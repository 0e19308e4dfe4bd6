"""The benchmark workloads, generated deterministically into a data folder.

W1  one random file (1 GiB)
W2  many small files (20,000 of 1-8 KiB, ~92 MB) in 100 folders
W4  W2 with 1% of its files rewritten and 1% added (applied in place to a working copy)
W5  one large random file (5 GiB), for peak memory while streaming
M1  1,000,000 entries: ``file://`` references logged with ``checksum=False`` (URIs only,
    no files on disk), so the case measures the metadata path, not file creation

Bytes come from BLAKE3's extendable output keyed by the file's index, so a file's
content never depends on the order of generation and every file differs from the
others. Every file gets a fixed modification time in the past: a stat cache must
see the files as settled, and rewritten W4 files get a different fixed time.

Generated data is reused between runs; a marker file records the parameters it
was made with, and data made with other parameters is made again.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import blake3

SETTLED_MTIME = 1_700_000_000  # 2023-11-14, long settled for any stat cache
REWRITTEN_MTIME = SETTLED_MTIME + 86_400
_CHUNK = 64 << 20


@dataclass(frozen=True)
class Sizes:
    w1_bytes: int = 1 << 30
    w2_files: int = 20_000
    w2_folders: int = 100
    w2_min_bytes: int = 1024
    w2_max_bytes: int = 8192
    w4_rewritten_every: int = 100  # 1% of the files
    w4_added_fraction: float = 0.01
    w5_bytes: int = 5 << 30
    m1_entries: int = 1_000_000
    m1_per_folder: int = 1000


FULL = Sizes()
QUICK = Sizes(
    w1_bytes=4 << 20,
    w2_files=400,
    w2_folders=10,
    w5_bytes=16 << 20,
    m1_entries=2000,
    m1_per_folder=100,
)


@dataclass(frozen=True)
class Workloads:
    """Where the generated data of one size profile lives."""

    root: str
    sizes: Sizes

    @property
    def w1(self) -> str:
        return os.path.join(self.root, "w1", "w1.bin")

    @property
    def w2(self) -> str:
        return os.path.join(self.root, "w2")

    @property
    def w5(self) -> str:
        return os.path.join(self.root, "w5", "w5.bin")

    def w2_stats(self) -> tuple[int, int]:
        """``(files, bytes)`` of W2."""
        return self.sizes.w2_files, sum(_w2_size(self.sizes, i) for i in range(self.sizes.w2_files))

    def w4_stats(self) -> tuple[int, int]:
        """``(files, bytes)`` of W2 after the W4 change."""
        files, total = self.w2_stats()
        for index in _rewritten(self.sizes):
            total += _w4_size(index) - _w2_size(self.sizes, index)
        added = list(_added(self.sizes))
        return files + len(added), total + sum(size for _path, size in added)


def ensure_generated(root: str, sizes: Sizes, names: set[str]) -> Workloads:
    """Generate the named workloads (``w1``, ``w2``, ``w5``) under ``root`` unless present."""
    workloads = Workloads(root, sizes)
    makers = {
        "w1": lambda: _write_random_file(workloads.w1, sizes.w1_bytes, b"archivist-bench-w1"),
        "w2": lambda: _write_w2(workloads.w2, sizes),
        "w5": lambda: _write_random_file(workloads.w5, sizes.w5_bytes, b"archivist-bench-w5"),
    }
    for name in sorted(names & set(makers)):
        marker = os.path.join(root, f"{name}.ready")
        wanted = {"name": name, "sizes": asdict(sizes), "format": 1}
        if _read_marker(marker) == wanted:
            continue
        target = os.path.join(root, name)
        if os.path.exists(target):
            shutil.rmtree(target)
        makers[name]()
        with open(marker, "w") as handle:
            json.dump(wanted, handle)
    return workloads


def _read_marker(path: str) -> object:
    try:
        with open(path) as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def _write_random_file(path: str, size: int, key: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    source = blake3.blake3(key)
    with open(path + ".part", "wb") as handle:
        for offset in range(0, size, _CHUNK):
            handle.write(source.digest(length=min(_CHUNK, size - offset), seek=offset))
    os.utime(path + ".part", (SETTLED_MTIME, SETTLED_MTIME))
    os.replace(path + ".part", path)


def _w2_size(sizes: Sizes, index: int) -> int:
    return random.Random(f"w2-size-{index}").randint(sizes.w2_min_bytes, sizes.w2_max_bytes)


def _w4_size(index: int) -> int:
    return random.Random(f"w4-size-{index}").randint(1024, 8192)


def w2_relative_path(sizes: Sizes, index: int) -> str:
    folder = index % sizes.w2_folders
    return f"d{folder:03d}/f{index:05d}.bin"


def _content(label: str, index: int, size: int) -> bytes:
    return blake3.blake3(f"{label}-{index}".encode()).digest(length=size)


def _write_w2(root: str, sizes: Sizes) -> None:
    partial = root + ".part"
    if os.path.exists(partial):
        shutil.rmtree(partial)
    for folder in range(sizes.w2_folders):
        os.makedirs(os.path.join(partial, f"d{folder:03d}"))
    for index in range(sizes.w2_files):
        path = os.path.join(partial, w2_relative_path(sizes, index))
        _write_settled(path, _content("w2", index, _w2_size(sizes, index)), SETTLED_MTIME)
    os.replace(partial, root)


def _write_settled(path: str, data: bytes, mtime: int) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
    os.utime(path, (mtime, mtime))


def _rewritten(sizes: Sizes) -> Iterator[int]:
    return iter(range(sizes.w4_rewritten_every // 2, sizes.w2_files, sizes.w4_rewritten_every))


def _added(sizes: Sizes) -> Iterator[tuple[str, int]]:
    count = max(1, round(sizes.w2_files * sizes.w4_added_fraction))
    for index in range(count):
        yield f"d{index % sizes.w2_folders:03d}/new{index:05d}.bin", _w4_size(-1 - index)


def link_copy(source: str, dest: str) -> None:
    """A copy of the tree ``source`` made of hard links (same inodes, sizes and mtimes)."""
    for directory, _dirs, files in os.walk(source):
        target = os.path.join(dest, os.path.relpath(directory, source))
        os.makedirs(target, exist_ok=True)
        for name in files:
            os.link(os.path.join(directory, name), os.path.join(target, name))


def apply_w4_change(work_dir: str, sizes: Sizes) -> tuple[int, int]:
    """Turn a copy of W2 into W4 in place; returns ``(rewritten, added)`` file counts.

    A rewritten file is written to a new file that replaces the old name (as editors
    do), so a hard-linked copy never changes the pristine W2 behind it.
    """
    rewritten = 0
    for index in _rewritten(sizes):
        path = os.path.join(work_dir, w2_relative_path(sizes, index))
        _write_settled(path + ".new", _content("w4", index, _w4_size(index)), REWRITTEN_MTIME)
        os.replace(path + ".new", path)
        rewritten += 1
    added = 0
    for relative, size in _added(sizes):
        _write_settled(os.path.join(work_dir, relative), _content("w4-added", added, size), REWRITTEN_MTIME)
        added += 1
    return rewritten, added


def m1_entries(sizes: Sizes, data_root: str, variant: int = 0) -> Iterator[tuple[str, str]]:
    """``(logical path, file:// URI)`` of every M1 entry; ``variant`` 1 changes 1% of the URIs."""
    for index in range(sizes.m1_entries):
        folder = index // sizes.m1_per_folder
        name = f"shard{folder:04d}/item{index:07d}.bin"
        generation = variant if index % 100 == 0 else 0
        yield name, f"file://{data_root}/m1/g{generation}/{name}"
