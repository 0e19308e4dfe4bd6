"""artifact.add / artifact.get on the embedded store and on servers: W&B's layout
(``<name>.<type>.json`` with sorted keys, media under ``media/``), and every value back."""

from __future__ import annotations

import datetime as dt
import json
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import archivist
from archivist.core.errors import ArtifactFinalizedError, ArtifactNotLoggedError, InvalidInputError

pytestmark = pytest.mark.usefixtures("archivist_env")

BOXES = {
    "predictions": {
        "box_data": [
            {
                "position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4},
                "class_id": 1,
                "box_caption": "a cat",
                "scores": {"acc": 0.9},
            }
        ],
        "class_labels": {1: "cat", 2: "dog"},
    }
}


def _pixels(seed: int, shape: tuple[int, ...] = (8, 10, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)


def _log(art: archivist.Artifact) -> archivist.Artifact:
    """Log the draft, then read it back as a fresh process would (through the Api)."""
    name = art.name
    with archivist.init(project="p") as run:
        run.log_artifact(art)
    return archivist.Api().artifact(f"p/{name}:latest")


def _json(art: archivist.Artifact, path: str) -> dict:
    with open(art.get_entry(path).download()) as handle:
        text = handle.read()
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True)  # written with sorted keys
    return document


def test_table_with_images_round_trips(tmp_path: Path) -> None:
    mask = np.zeros((8, 10), dtype=np.uint8)
    mask[2:4, 3:6] = 1
    image = archivist.Image(
        _pixels(1),
        caption="first",
        boxes=BOXES,
        masks={"truth": {"mask_data": mask, "class_labels": {0: "background", 1: "cat"}}},
        classes=[{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    )
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    table = archivist.Table(columns=["id", "image", "score", "when", "tags"])
    table.add_data(1, image, 0.75, when, ["a", "b"])
    table.add_data(2, archivist.Image(_pixels(2, (8, 10))), 0.25, None, ["c"])
    art = archivist.Artifact("preds", type="evaluation")
    entry = art.add(table, "eval/preds")
    assert entry.path == "eval/preds.table.json"
    logged = _log(art)
    paths = set(logged.manifest.entries)
    assert "eval/preds.table.json" in paths
    assert any(p.startswith("media/images/mask/") and p.endswith(".mask.png") for p in paths)
    assert any(p.startswith("media/classes/") and p.endswith("_cls.classes.json") for p in paths)
    assert len([p for p in paths if p.startswith("media/images/") and "/mask/" not in p]) == 2

    document = _json(logged, "eval/preds.table.json")
    assert document["_type"] == "table" and document["log_mode"] == "IMMUTABLE"
    assert (document["ncols"], document["nrows"]) == (5, 2)
    cell = document["data"][0][1]
    assert cell["_type"] == "image-file" and (cell["width"], cell["height"]) == (10, 8)
    assert cell["boxes"]["predictions"][0]["box_caption"] == "a cat"
    assert document["data"][0][3] == int(when.timestamp() * 1000)  # epoch milliseconds
    image_type = document["column_types"]["params"]["type_map"]["image"]["params"]["allowed_types"][0]
    assert image_type["wb_type"] == "image-file"
    assert image_type["params"]["class_map"]["params"]["val"] == {"0": "background", "1": "cat", "2": "dog"}

    back = logged.get("eval/preds")
    assert isinstance(back, archivist.Table)
    assert back.columns == table.columns and back.get_column("id") == [1, 2]
    first, second = back.get_column("image")
    assert np.array_equal(np.array(first.image), _pixels(1))
    assert np.array_equal(np.array(second.image), _pixels(2, (8, 10)))
    assert first.caption == "first"
    assert first.boxes["predictions"].box_data[0]["scores"] == {"acc": 0.9}
    assert np.array_equal(np.array(PILImage.open(first.masks["truth"].path)), mask)
    assert {c["name"] for c in first.classes.class_set} == {"background", "cat", "dog"}
    assert back.get_column("when") == [when, None]
    assert back.get_column("tags") == [["a", "b"], ["c"]]
    assert logged["eval/preds.table.json"] == back  # [] and the full entry name work too


def test_media_of_every_kind_round_trip(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x00" * 400)
    points = np.random.default_rng(3).random((20, 3))
    frames = np.random.default_rng(4).integers(0, 255, (3, 3, 6, 8), dtype=np.uint8)
    art = archivist.Artifact("media", type="dataset")
    art.add(archivist.Audio(str(wav), caption="tone"), "sound")
    art.add(archivist.Audio(np.zeros(800), sample_rate=8000), "silence")
    art.add(archivist.Html("<h1>hello</h1>"), "page")
    art.add(archivist.Html("<h1>plain</h1>", inject=False), "plain")
    art.add(archivist.Object3D(points), "cloud")
    art.add(archivist.Video(frames, fps=2), "clip")
    art.add(archivist.Histogram([1, 2, 2, 3], num_bins=3), "hist")
    art.add(archivist.Classes([{"id": 0, "name": "zero"}]), "labels")
    art.add(archivist.Image(PILImage.fromarray(_pixels(5))), "picture")
    logged = _log(art)
    assert {
        "sound.audio-file.json",
        "silence.audio-file.json",
        "page.html-file.json",
        "cloud.object3D-file.json",
        "clip.video-file.json",
        "hist.histogram.json",
        "labels.classes.json",
        "picture.image-file.json",
    } <= set(logged.manifest.entries)

    sound = logged.get("sound")
    assert isinstance(sound, archivist.Audio) and Path(sound.path).read_bytes() == wav.read_bytes()
    with wave.open(logged.get("silence").path) as back:
        assert (back.getframerate(), back.getnframes()) == (8000, 800)
    page = logged.get("page").html
    assert page.startswith('<base target="_blank">') and page.endswith("<h1>hello</h1>")  # W&B's head
    assert logged.get("plain").html == "<h1>plain</h1>"
    cloud = logged.get("cloud")
    assert np.allclose(json.loads(Path(cloud.path).read_text()), points)
    clip = PILImage.open(logged.get("clip").path)
    assert clip.format == "GIF" and clip.n_frames == 3 and clip.size == (8, 6)
    hist = logged.get("hist")
    assert hist.histogram == [1, 2, 1] and len(hist.bins) == 4
    assert logged.get("labels") == archivist.Classes([{"id": 0, "name": "zero"}])
    assert np.array_equal(np.array(logged.get("picture").image), _pixels(5))
    assert logged.get("missing") is None


def test_array_columns_use_npz_files_and_vectors_stay_inline() -> None:
    table = archivist.Table(columns=["grid", "vector"])
    grids = [np.arange(12).reshape(3, 4) + i for i in range(3)]
    for i, grid in enumerate(grids):
        table.add_data(grid, np.array([i, i + 0.5]))
    art = archivist.Artifact("arrays", type="dataset")
    art.add(table, "t")
    logged = _log(art)
    document = _json(logged, "t.table.json")
    assert [row[0] for row in document["data"]] == [None, None, None]
    assert [row[1] for row in document["data"]] == [[0, 0.5], [1, 1.5], [2, 2.5]]
    type_map = document["column_types"]["params"]["type_map"]
    grid_type = next(t for t in type_map["grid"]["params"]["allowed_types"] if t["wb_type"] == "ndarray")
    assert grid_type["params"]["shape"] == [3, 4]
    assert grid_type["params"]["serialization_path"]["path"].startswith("media/serialized_data/grid_")
    assert type_map["vector"] == {
        "wb_type": "list",
        "params": {"element_type": {"wb_type": "number"}, "length": 2},
    }
    back = logged.get("t")
    for got, want in zip(back.get_column("grid"), grids, strict=True):
        assert np.array_equal(got, want)


def test_joined_and_partitioned_tables() -> None:
    left = archivist.Table(columns=["id", "x"], data=[[1, "a"], [2, "b"]])
    right = archivist.Table(columns=["id", "y"], data=[[1, 10], [2, 20]])
    art = archivist.Artifact("joins", type="dataset")
    art.add(left, "left")
    art.add(archivist.JoinedTable("left.table.json", right, "id"), "joined")
    for n in range(2):
        art.add(archivist.Table(columns=["n"], data=[[n], [n + 10]]), f"parts/p{n}")
    art.add(archivist.data_types.PartitionedTable("parts"), "all")
    logged = _log(art)
    joined = logged.get("joined")
    assert isinstance(joined, archivist.JoinedTable)
    assert _json(logged, "joined.joined-table.json")["table1"] == "left.table.json"
    assert joined._table1 == left and joined._table2 == right and joined._join_key == "id"
    partitioned = logged.get("all")
    assert [(int(i), r) for i, r in partitioned.iterrows()] == [(0, [0]), (1, [10]), (2, [1]), (3, [11])]
    with pytest.raises(InvalidInputError, match="not in the artifact"):
        archivist.Artifact("x", type="t").add(archivist.JoinedTable("nope.table.json", right, "id"), "j")


def test_add_rules(tmp_path: Path) -> None:
    art = archivist.Artifact("rules", type="dataset")
    table = archivist.Table(columns=["a"], data=[[1]])
    first = art.add(table, "t")
    assert art.add(table, "t") == first  # the same object twice: its first entry
    art["t2"] = table  # sugar; the same object gives the first entry back
    other = archivist.Table(columns=["a"], data=[[2]])
    assert art.add(other, "t") == first  # a name already taken keeps its entry, as in W&B
    replaced = art.add(other, "t", overwrite=True)
    assert replaced.digest != first.digest
    with pytest.raises(TypeError, match="got dict"):
        art.add({"a": 1}, "d")  # type: ignore[arg-type]
    with pytest.raises(ArtifactNotLoggedError):
        art.get("t")
    logged = _log(art)
    assert logged.get("t").get_column("a") == [2]
    with pytest.raises(ArtifactFinalizedError):
        logged.add(table, "again")


def test_media_shared_by_tables_is_stored_once() -> None:
    image = archivist.Image(_pixels(7))
    art = archivist.Artifact("shared", type="dataset")
    art.add(archivist.Table(columns=["i"], data=[[image]]), "one")
    art.add(archivist.Table(columns=["i"], data=[[image]]), "two")
    logged = _log(art)
    images = [p for p in logged.manifest.entries if p.startswith("media/images/")]
    assert len(images) == 1
    assert _json(logged, "one.table.json")["data"] == _json(logged, "two.table.json")["data"]


def test_image_from_a_file_keeps_its_name(tmp_path: Path) -> None:
    source = tmp_path / "cat.jpg"
    PILImage.fromarray(_pixels(8)).save(source)
    image = archivist.Image(str(source), caption="cat")
    art = archivist.Artifact("files", type="dataset")
    art.add(archivist.Table(columns=["i"], data=[[image]]), "t")
    logged = _log(art)
    cell = _json(logged, "t.table.json")["data"][0][0]
    assert cell["path"].startswith("media/images/") and cell["path"].endswith("/cat.jpg")
    assert cell["format"] == "jpg"
    back = logged.get("t").get_column("i")[0]
    assert Path(back.path).read_bytes() == source.read_bytes()


def test_bad_media_input_is_named() -> None:
    with pytest.raises(InvalidInputError, match="unsupported image shape"):
        archivist.Image(np.zeros((2, 2, 2, 2)))
    with pytest.raises(InvalidInputError, match="is not a file"):
        archivist.Image("missing.png")
    with pytest.raises(InvalidInputError, match="needs sample_rate"):
        archivist.Audio(np.zeros(10))
    with pytest.raises(InvalidInputError, match="mask_data must be a 2-D array"):
        archivist.data_types.ImageMask({"mask_data": np.zeros(3)}, "m")
    with pytest.raises(InvalidInputError, match="join_key"):
        archivist.JoinedTable("a.table.json", "b.table.json", 3)  # type: ignore[arg-type]


def test_rows_over_max_artifact_rows_are_cut_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(archivist.Table, "MAX_ARTIFACT_ROWS", 3)
    table = archivist.Table(columns=["n"], data=[[i] for i in range(5)])
    art = archivist.Artifact("big", type="dataset")
    with caplog.at_level("WARNING"):
        art.add(table, "t")
    assert "Truncating Table to 3 rows" in caplog.text
    document = json.loads(Path(art.local_paths["t.table.json"]).read_text())
    assert document["data"] == [[0], [1], [2]] and document["nrows"] == 3
    assert len(table.data) == 5  # the table itself keeps every row


def test_an_object_read_from_one_artifact_is_added_to_another_as_a_reference() -> None:
    table = archivist.Table(columns=["i", "image"], data=[[0, archivist.Image(_pixels(11))]])
    source = archivist.Artifact("source", type="dataset")
    source.add(table, "preds")
    read = _log(source).get("preds")

    derived = archivist.Artifact("derived", type="evaluation")
    entry = derived.add(read, "copied")
    assert entry.path == "copied.table.json" and entry.ref.startswith("wandb-artifact://")
    derived_logged = _log(derived)
    assert list(derived_logged.manifest.entries) == ["copied.table.json"]  # no media copied
    back = derived_logged.get("copied")
    assert back == table
    assert np.array_equal(np.array(back.get_column("image")[0].image), _pixels(11))

    read.add_data(1, None)  # changed since it was read: stored as a file of its own
    again = archivist.Artifact("derived-changed", type="evaluation")
    assert again.add(read, "copied").ref is None
    assert _log(again).get("copied").get_column("i") == [0, 1]


PDB = "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\nEND\n"


def test_molecules_round_trip_from_a_file_and_from_a_stream(tmp_path: Path) -> None:
    import io

    pdb = tmp_path / "protein.pdb"
    pdb.write_text(PDB)
    art = archivist.Artifact("molecules", type="evaluation")
    art.add(archivist.Molecule(str(pdb), caption="from a file"), "from_file")
    art.add(archivist.Molecule(io.StringIO(PDB), file_type="pdb"), "from_stream")
    table = archivist.Table(columns=["tag", "molecule"])
    with open(pdb) as handle:  # an open file is used by its name, as in W&B
        table.add_data("lithostathine", archivist.Molecule(handle))
    art.add(table, "predicted_molecules")
    logged = _log(art)
    first = logged.get("from_file")
    assert isinstance(first, archivist.Molecule) and first.caption == "from a file"
    assert Path(first.path).read_text() == PDB
    assert Path(logged.get("from_stream").path).read_text() == PDB
    assert Path(logged.get("predicted_molecules").get_column("molecule")[0].path).read_text() == PDB
    stored = [p for p in logged.manifest.entries if p.startswith("media/molecule/")]
    assert any(p.endswith("/protein.pdb") for p in stored) and any(p.endswith(".pdb") for p in stored)


def test_bad_molecule_input_is_named(tmp_path: Path) -> None:
    import io

    (tmp_path / "shape.obj").write_text("v 0 0 0\n")
    with pytest.raises(InvalidInputError, match="'obj'.*pdb"):
        archivist.Molecule(str(tmp_path / "shape.obj"))
    with pytest.raises(InvalidInputError, match="file_type"):
        archivist.Molecule(io.StringIO(PDB))
    with pytest.raises(InvalidInputError, match="not a file"):
        archivist.Molecule(str(tmp_path / "missing.pdb"))


def test_a_foreign_index_into_a_missing_table_reads_as_row_numbers(tmp_path: Path) -> None:
    document = {
        "_type": "table",
        "columns": ["source"],
        "data": [[2], [0]],
        "column_types": {
            "wb_type": "typedDict",
            "params": {
                "type_map": {"source": {"wb_type": "foreignIndex", "params": {"table": "gone.table.json"}}}
            },
        },
    }
    (tmp_path / "split.table.json").write_text(json.dumps(document))
    art = archivist.Artifact("dangling", type="dataset")
    art.add_file(str(tmp_path / "split.table.json"))
    split = _log(art).get("split")
    assert split.get_column("source") == [2, 0]
    assert split._column_types.params["type_map"]["source"]["params"]["table"] == "gone.table.json"
    again = archivist.Artifact("again", type="dataset")
    again.add(archivist.Table(columns=["source"], data=split.data), "copy")  # plain numbers now
    assert _log(again).get("copy").get_column("source") == [2, 0]
