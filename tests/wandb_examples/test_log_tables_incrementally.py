"""wandb/examples ``colabs/tables/Log_Tables_Incrementally.ipynb``, converted.

Five runs build one table: each logs a new version of the ``incremental_table`` artifact with
``incremental=True`` (so it starts from the latest version without downloading it), the first
adds a ``PartitionedTable`` over ``incremental_table_parts/``, and each adds its own part
``incremental_table_parts/tab_<i>``. The last version holds the whole table, every part shared
with the earlier versions.

Each ``incremental=True`` version builds on the latest one, so version N holds N + 2 entries
and the latest one reads back as the whole ``PartitionedTable``.
"""

from __future__ import annotations

import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT_NAME = "incremental_table_demo"
TABLE_NAME = "incremental_table"
TABLE_COLUMNS = ["col_1", "col_2"]


def test_log_tables_incrementally_notebook() -> None:
    parts_dir = f"{TABLE_NAME}_parts"
    for i in range(5):
        run = wandb.init(project=PROJECT_NAME)
        art = wandb.Artifact(TABLE_NAME, "example", incremental=True)
        if i == 0:
            tab = wandb.data_types.PartitionedTable(parts_dir)
            art.add(tab, TABLE_NAME)
        sub_tab = wandb.Table(data=[["a", i], ["b", i**2]], columns=TABLE_COLUMNS)
        art.add(sub_tab, f"{parts_dir}/tab_{i}")
        run.log_artifact(art)
        run.finish()

    api = wandb.Api()
    versions = sorted(api.artifacts("example", f"{PROJECT_NAME}/{TABLE_NAME}"), key=lambda a: a.version)
    assert [v.version for v in versions] == [f"v{i}" for i in range(5)]
    assert [len(v.manifest.entries) for v in versions] == [2, 3, 4, 5, 6]
    final = api.artifact(f"{PROJECT_NAME}/{TABLE_NAME}:latest")
    assert sorted(final.manifest.entries) == sorted(
        [f"{parts_dir}/tab_{i}.table.json" for i in range(5)] + [f"{TABLE_NAME}.partitioned-table.json"]
    )
    whole = final.get(TABLE_NAME)
    assert isinstance(whole, wandb.data_types.PartitionedTable)
    assert [row for _, row in whole.iterrows()] == [r for i in range(5) for r in (["a", i], ["b", i**2])]
    # parts are shared between versions, not stored again
    first_part = versions[0].manifest.entries[f"{parts_dir}/tab_0.table.json"].digest
    assert final.manifest.entries[f"{parts_dir}/tab_0.table.json"].digest == first_part
