"""wandb/examples ``colabs/tables/AlphaFold_with_W&B_Align,_Fold,_Log.ipynb``, converted: its
W&B step ("Log to W&B: upload the sequence, 3D structure, and results").

The run records the protein's metadata and sequence in its config, logs the search and
inference figures (numbers and their readable strings), logs the predicted structure as a
``wandb.Molecule`` and a table of one row (tag, species, sequence, molecule, MSA plot, error
plot). AlphaFold itself (a GPU and its databases) is replaced by a generated PDB file and two
small images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

SEQUENCE = {
    "name": "lithostathine",
    "species": "human",
    "desc": "small and fast",
    "url": "https://www.ebi.ac.uk/pdbe/entry/pdb/1lit/protein/1",
    "seq": "QEAQTELPQARISCPEGTNAYRSYCYYFNEDRETWVDADLYCQNMNSGNLVSVLTQAEGAFVASLIKESGTDDFNVWIGLHDPKKNRRWHWSS",
}


def _pdb(path: str, length: int) -> None:
    with open(path, "w") as f:
        for i in range(length):
            x, y, z = 1.5 * i, np.sin(i), np.cos(i)
            f.write(
                f"ATOM  {i + 1:5d}  CA  ALA A{i + 1:4d}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00 90.00           C\n"
            )
        f.write("END\n")


def time_units(t: float) -> str:
    hours, rem = divmod(t, 3600)
    minutes, seconds = divmod(rem, 60)
    return f"{int(hours):0>2}:{int(minutes):0>2}:{seconds:05.2f}"


def test_alphafold_tables_notebook() -> None:
    rng = np.random.default_rng(3)
    pred_output_path = "selected_prediction.pdb"
    _pdb(pred_output_path, 12)
    Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).save("msa.png")
    Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save("pae.png")
    logs = {"seq": SEQUENCE["seq"], "uniref90": 812, "smallbfd": 301, "mgnify": 77, "total_seq": 1190,
            "search_time": 342.7, "inference_time": 95.25, "msa": "msa.png", "pae": "pae.png"}  # fmt: skip

    wandb.init(project="alphafold")
    species, sequence_tag = SEQUENCE["species"], SEQUENCE["name"]
    wandb.config.update({"species": species, "desc": SEQUENCE["desc"], "url": SEQUENCE["url"]})
    wandb.config.update({"seq": logs["seq"], "length": len(logs["seq"])})
    search_time_str = time_units(logs["search_time"])
    infer_time_str = time_units(logs["inference_time"])
    wandb.log(
        {
            "matches/uniref90": logs["uniref90"],
            "matches/smallbfd": logs["smallbfd"],
            "matches/mgnify": logs["mgnify"],
            "matches/total": logs["total_seq"],
            "search_time": logs["search_time"],
            "infer_time": logs["inference_time"],
            "search_time_str": search_time_str,
            "infer_time_str": infer_time_str,
        }
    )
    wandb.log({"view_3D": wandb.Molecule(pred_output_path)})
    t = wandb.Table(columns=["tag", "species", "sequence", "molecule", "msa", "error plots"])
    t.add_data(
        sequence_tag, species, logs["seq"], wandb.Molecule(pred_output_path), wandb.Image(logs["msa"]),
        wandb.Image(logs["pae"]),
    )  # fmt: skip
    wandb.run.log({"predicted_molecules": t})
    run_id = wandb.run.id
    wandb.run.finish()

    run = wandb.Api().run(f"alphafold/{run_id}")
    assert run.config["length"] == len(SEQUENCE["seq"]) and run.config["species"] == "human"
    assert run.summary["search_time_str"] == "00:05:42.70"
    assert run.summary["infer_time_str"] == "00:01:35.25"
    assert run.summary["matches/total"] == 1190
    assert run.summary["view_3D"]["_type"] == "molecule-file"
    with open(run.file(run.summary["view_3D"]["path"]).download(root="run-files").name) as f:
        assert f.read() == Path(pred_output_path).read_text()
    (table_art,) = [a for a in run.logged_artifacts() if a.type == "run_table"]
    table = table_art.get("predicted_molecules")
    assert table.get_column("tag") == ["lithostathine"]
    molecule = table.get_column("molecule")[0]
    assert isinstance(molecule, wandb.Molecule)
    with open(molecule.path) as f:
        assert f.read().count("ATOM") == 12
    assert table.get_column("msa")[0].image.size == (30, 20)
