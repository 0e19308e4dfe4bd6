"""Either tool reads the other's tables and media: an artifact Archivist wrote is read by
the real ``wandb`` package's own loaders (``Table.from_json``, ``Image.from_json``, ...)
from the downloaded files, and files W&B wrote (its offline ``Artifact.add``) are read by
Archivist's ``artifact.get`` once logged. W&B runs offline: no network, no account."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

import archivist

pytestmark = pytest.mark.usefixtures("archivist_env")

WHEN = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
BOXES = {
    "box_data": [
        {
            "position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.6},
            "class_id": 1,
            "box_caption": "cat",
            "scores": {"conf": 0.8},
        }
    ],
    "class_labels": {1: "cat", 2: "dog"},
}
CLASSES = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]


@pytest.fixture
def wandb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real wandb package, offline, with every folder of its own under tmp_path."""
    for name, folder in (
        ("WANDB_DIR", "wb"),
        ("WANDB_DATA_DIR", "wb-data"),
        ("WANDB_CACHE_DIR", "wb-cache"),
        ("WANDB_CONFIG_DIR", "wb-config"),
        ("WANDB_ARTIFACT_DIR", "wb-artifacts"),
    ):
        (tmp_path / folder).mkdir()
        monkeypatch.setenv(name, str(tmp_path / folder))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    import wandb

    return wandb


def _pixels(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (12, 16, 3), dtype=np.uint8)


def _mask() -> np.ndarray:
    mask = np.zeros((12, 16), dtype=np.uint8)
    mask[3:7, 4:9] = 1
    return mask


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x02\x00" * 300)
    return path


class FolderSource:
    """A downloaded artifact folder as W&B's ``from_json`` reads an artifact: entries by
    path and ``get`` of stored objects through W&B's own type registry."""

    def __init__(self, wandb: Any, root: str) -> None:
        self._wandb = wandb
        self._root = root
        paths = [
            os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
            for d, _, files in os.walk(root)
            for f in files
        ]
        self.manifest = SimpleNamespace(entries={p: self.get_entry(p) for p in paths})
        self.aliases = ["latest"]

    def get_entry(self, name: str) -> Any:
        path = os.path.join(self._root, *name.split("/"))
        assert os.path.isfile(path), name
        return SimpleNamespace(path=name, download=lambda root=None: path)

    def get(self, name: str) -> Any:
        from wandb.sdk.data_types.base_types.wb_value import WBValue

        for candidate in [name] + [f"{name}.{t}.json" for t in WBValue.type_mapping()]:
            path = os.path.join(self._root, *candidate.split("/"))
            if os.path.isfile(path) and candidate.endswith(".json"):
                with open(path) as handle:
                    return WBValue.init_from_json(json.load(handle), self)
        return None


def test_an_artifact_written_by_archivist_reads_with_wandbs_loaders(wandb: Any, tmp_path: Path) -> None:
    wav = _wav(tmp_path / "tone.wav")
    table = archivist.Table(columns=["id", "image", "label", "when", "grid", "emb"])
    for i in range(2):
        image = archivist.Image(
            _pixels(i),
            caption=f"sample {i}",
            boxes={"predictions": BOXES},
            masks={"truth": {"mask_data": _mask(), "class_labels": {0: "background", 1: "cat"}}},
            classes=CLASSES,
        )
        table.add_data(i, image, "cat" if i else "dog", WHEN, np.full((2, 3), i), np.array([i, i + 1.0]))
    art = archivist.Artifact("written-by-archivist", type="evaluation")
    art.add(table, "preds")
    art.add(archivist.Table(columns=["id", "split"], data=[[0, "train"], [1, "test"]]), "splits")
    art.add(archivist.JoinedTable("preds.table.json", "splits.table.json", "id"), "joined")
    art.add(archivist.Image(_pixels(9), caption="alone"), "picture")
    art.add(archivist.Html("<p>report</p>"), "report")
    art.add(archivist.Audio(str(wav), caption="tone"), "sound")
    art.add(archivist.Audio(np.zeros(400), sample_rate=8000), "silence")  # no caption
    art.add(
        archivist.Video(np.stack([np.full((3, 6, 8), v, dtype=np.uint8) for v in (0, 200)]), caption="clip"),
        "clip",
    )
    art.add(archivist.Object3D(np.arange(12.0).reshape(4, 3)), "cloud")
    with archivist.init(project="p") as run:
        run.log_artifact(art)
    root = archivist.Api().artifact("p/written-by-archivist:latest").download(str(tmp_path / "dl"))

    source = FolderSource(wandb, root)
    preds = source.get("preds")
    assert isinstance(preds, wandb.Table)
    assert preds.columns == ["id", "image", "label", "when", "grid", "emb"]
    assert preds.get_column("id") == [0, 1] and preds.get_column("label") == ["dog", "cat"]
    assert preds.get_column("when") == [WHEN, WHEN]
    assert [np.asarray(g).tolist() for g in preds.get_column("grid")] == [[[0] * 3] * 2, [[1] * 3] * 2]
    assert preds.get_column("emb") == [[0, 1.0], [1, 2.0]]
    for i, image in enumerate(preds.get_column("image")):
        assert isinstance(image, wandb.Image)
        assert np.array_equal(np.array(image.image), _pixels(i))
        assert image._caption == f"sample {i}"
        assert image._boxes["predictions"]._val == BOXES["box_data"]
        assert np.array_equal(np.array(PILImage.open(image._masks["truth"]._path)), _mask())
        assert {c["name"] for c in image._classes._class_set} == {"background", "cat", "dog"}

    joined = source.get("joined")
    assert isinstance(joined, wandb.JoinedTable) and joined._join_key == "id"
    assert joined._table2.get_column("split") == ["train", "test"]
    picture = source.get("picture")
    assert np.array_equal(np.array(picture.image), _pixels(9)) and picture._caption == "alone"
    report = source.get("report")
    assert Path(report._path).read_text() == report.html == archivist.Html("<p>report</p>").html
    assert report.html.endswith("<p>report</p>") and "normalize.css" in report.html  # W&B's injected head
    sound = source.get("sound")
    assert isinstance(sound, wandb.Audio) and Path(sound._path).read_bytes() == wav.read_bytes()
    silence = source.get("silence")
    assert isinstance(silence, wandb.Audio) and silence._caption is None
    with wave.open(silence._path) as back:
        assert (back.getframerate(), back.getnframes()) == (8000, 400)
    clip = source.get("clip")
    assert isinstance(clip, wandb.Video) and PILImage.open(clip._path).n_frames == 2
    cloud = source.get("cloud")
    assert isinstance(cloud, wandb.Object3D)
    assert json.loads(Path(cloud._path).read_text()) == np.arange(12.0).reshape(4, 3).tolist()


def _wandb_artifact_files(wandb: Any, tmp_path: Path) -> Path:
    """An artifact built by W&B itself (offline) and its files laid out as it stores them."""
    wav = _wav(tmp_path / "tone.wav")
    table = wandb.Table(columns=["id", "image", "label", "when", "grid"])
    for i in range(2):
        image = wandb.Image(
            _pixels(i),
            caption=f"sample {i}",
            boxes={"predictions": BOXES},
            masks={"truth": {"mask_data": _mask(), "class_labels": {0: "background", 1: "cat"}}},
            classes=CLASSES,
        )
        table.add_data(i, image, "cat" if i else "dog", WHEN, np.full((2, 3), i))
    art = wandb.Artifact("written-by-wandb", type="evaluation")
    art.add(table, "preds")
    art.add(wandb.Table(columns=["id", "split"], data=[[0, "train"], [1, "test"]]), "splits")
    art.add(wandb.JoinedTable("preds.table.json", "splits.table.json", "id"), "joined")
    art.add(wandb.Html("<p>report</p>"), "report")
    art.add(wandb.Audio(str(wav), caption="tone"), "sound")
    folder = tmp_path / "wandb-layout"
    for path, entry in art.manifest.entries.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry.local_path, target)
    return folder


def test_files_written_by_wandb_read_in_archivist(wandb: Any, tmp_path: Path) -> None:
    folder = _wandb_artifact_files(wandb, tmp_path)
    assert (folder / "preds.table.json").is_file()
    art = archivist.Artifact("written-by-wandb", type="evaluation")
    art.add_dir(str(folder))
    with archivist.init(project="p") as run:
        run.log_artifact(art)
    logged = archivist.Api().artifact("p/written-by-wandb:latest")

    preds = logged.get("preds")
    assert isinstance(preds, archivist.Table)
    assert preds.get_column("id") == [0, 1] and preds.get_column("label") == ["dog", "cat"]
    assert preds.get_column("when") == [WHEN, WHEN]
    assert [np.asarray(g).tolist() for g in preds.get_column("grid")] == [[[0] * 3] * 2, [[1] * 3] * 2]
    for i, image in enumerate(preds.get_column("image")):
        assert isinstance(image, archivist.Image)
        assert np.array_equal(np.array(image.image), _pixels(i))
        assert image.caption == f"sample {i}"
        assert image.boxes["predictions"].box_data == BOXES["box_data"]
        assert np.array_equal(np.array(PILImage.open(image.masks["truth"].path)), _mask())
        assert {c["name"] for c in image.classes.class_set} == {"background", "cat", "dog"}
    joined = logged.get("joined")
    assert isinstance(joined, archivist.JoinedTable)
    assert joined._table1 == preds and joined._table2.get_column("split") == ["train", "test"]
    assert logged.get("report").html == wandb.Html("<p>report</p>").html
    sound = logged.get("sound")
    assert isinstance(sound, archivist.Audio) and sound.caption == "tone"
    assert Path(sound.path).read_bytes() == (tmp_path / "tone.wav").read_bytes()


def test_archivist_writes_the_json_wandb_writes(wandb: Any, tmp_path: Path) -> None:
    """Same table, same bytes in: the JSON documents match key for key (paths and
    digests aside, which name files each tool stores its own way)."""
    folder = _wandb_artifact_files(wandb, tmp_path)
    theirs = json.loads((folder / "preds.table.json").read_text())
    table = archivist.Table(columns=["id", "image", "label", "when", "grid"])
    for i in range(2):
        image = archivist.Image(
            _pixels(i),
            caption=f"sample {i}",
            boxes={"predictions": BOXES},
            masks={"truth": {"mask_data": _mask(), "class_labels": {0: "background", 1: "cat"}}},
            classes=CLASSES,
        )
        table.add_data(i, image, "cat" if i else "dog", WHEN, np.full((2, 3), i))
    art = archivist.Artifact("mine", type="evaluation")
    art.add(table, "preds")
    ours = json.loads(Path(art.local_paths["preds.table.json"]).read_text())

    def strip(doc: Any) -> Any:
        if isinstance(doc, dict):
            return {k: strip(v) for k, v in doc.items() if k not in ("path", "digest")}
        if isinstance(doc, list):
            return [strip(v) for v in doc]
        return doc

    assert strip(ours) == strip(theirs)
    assert ours["data"][0][1]["classes"]["path"] == theirs["data"][0][1]["classes"]["path"]


def test_tables_of_row_indexes_read_across_tools(wandb: Any, tmp_path: Path) -> None:
    """A table of ``get_index()`` pointers (W&B's ``foreignIndex`` column) is written as W&B
    writes it, and each tool dereferences the other's pointers with ``get_row()``."""
    rows = [[1, "a", 0.5], [2, "b", None], [3, "c", 2.5]]
    theirs_raw = wandb.Table(columns=["id", "name", "score"], data=rows)
    theirs = wandb.Artifact("fi", type="dataset")
    theirs.add(theirs_raw, "raw")
    pointers = theirs_raw.get_index()
    theirs.add(wandb.Table(columns=["source"], data=[[pointers[2]], [pointers[0]]]), "split")
    folder = tmp_path / "wandb-fi"
    for path, entry in theirs.manifest.entries.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry.local_path, folder / path)

    ours_raw = archivist.Table(columns=["id", "name", "score"], data=rows)
    ours = archivist.Artifact("fi-ours", type="dataset")
    ours.add(ours_raw, "raw")
    ours.add(
        archivist.Table(columns=["source"], data=[[ours_raw.get_index()[2]], [ours_raw.get_index()[0]]]),
        "split",
    )
    ours_doc = json.loads(Path(ours.local_paths["split.table.json"]).read_text())
    assert ours_doc == json.loads((folder / "split.table.json").read_text())

    from_wandb = archivist.Artifact("fi-wandb", type="dataset")
    from_wandb.add_dir(str(folder))
    with archivist.init(project="p") as run:
        run.log_artifact(from_wandb)
        run.log_artifact(ours)
    for name in ("fi-wandb", "fi-ours"):
        split = archivist.Api().artifact(f"p/{name}:latest").get("split")
        column_type = split._column_types.params["type_map"]["source"]
        assert type(column_type) is archivist.data_types._ForeignIndexType
        assert split.get_column("source") == [2, 0]
        assert [list(i.get_row().values()) for i in split.get_column("source")] == [rows[2], rows[0]]

    read_by_wandb = FolderSource(wandb, archivist.Api().artifact("p/fi-ours:latest").download()).get("split")
    assert [list(i.get_row().values()) for i in read_by_wandb.get_column("source")] == [rows[2], rows[0]]


def test_molecules_read_across_tools(wandb: Any, tmp_path: Path) -> None:
    pdb = tmp_path / "protein.pdb"
    pdb.write_text("ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\nEND\n")
    theirs = wandb.Artifact("mol", type="evaluation")
    theirs.add(wandb.Molecule(str(pdb), caption="litho"), "structure")
    folder = tmp_path / "wandb-mol"
    for path, entry in theirs.manifest.entries.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry.local_path, folder / path)
    ours = archivist.Artifact("mol-ours", type="evaluation")
    ours.add(archivist.Molecule(str(pdb), caption="litho"), "structure")
    ours_doc = json.loads(Path(ours.local_paths["structure.molecule-file.json"]).read_text())
    theirs_doc = json.loads((folder / "structure.molecule-file.json").read_text())
    assert {k: v for k, v in ours_doc.items() if k != "size"} == {
        k: v for k, v in theirs_doc.items() if k != "size"
    }

    from_wandb = archivist.Artifact("mol-wandb", type="evaluation")
    from_wandb.add_dir(str(folder))
    with archivist.init(project="p") as run:
        run.log_artifact(from_wandb)
        run.log_artifact(ours)
    read = archivist.Api().artifact("p/mol-wandb:latest").get("structure")
    assert isinstance(read, archivist.Molecule) and read.caption == "litho"
    assert Path(read.path).read_bytes() == pdb.read_bytes()
    by_wandb = FolderSource(wandb, archivist.Api().artifact("p/mol-ours:latest").download()).get("structure")
    assert isinstance(by_wandb, wandb.Molecule)
