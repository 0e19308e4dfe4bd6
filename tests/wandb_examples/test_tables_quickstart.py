"""wandb/examples ``colabs/tables/W&B_Tables_Quickstart.ipynb``, converted.

Load the iris dataset into a pandas DataFrame and ``wandb.log({"iris": dataframe})``: W&B turns
the DataFrame into a Table, stored as the run's ``run_table`` artifact. scikit-learn's
``load_iris`` is replaced by 150 generated rows of the same shape.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def test_tables_quickstart_notebook() -> None:
    rng = np.random.default_rng(5)
    data = np.round(rng.uniform(0.1, 7.9, (150, 4)), 1)
    target = np.repeat([0, 1, 2], 50)
    iris_dataframe = pd.DataFrame(data=np.c_[data, target], columns=[*FEATURES, "target"])

    wandb.init(project="Tables-Quickstart")
    wandb.log({"iris": iris_dataframe})
    run_id = wandb.run.id
    wandb.finish()

    api = wandb.Api()
    run = api.run(f"Tables-Quickstart/{run_id}")
    assert run.summary["iris"]["_type"] == "table-file"
    assert run.summary["iris"]["nrows"] == 150
    (table_artifact,) = [a for a in run.logged_artifacts() if a.type == "run_table"]
    assert table_artifact.name.split(":")[0] == f"run-{run_id}-iris"
    table = table_artifact.get("iris")
    assert table.columns == [*FEATURES, "target"]
    assert table.get_dataframe().equals(iris_dataframe)
