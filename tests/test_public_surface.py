"""The public surface is pinned: changing it must be a deliberate act."""

import subprocess
import sys

import archivist

EXPECTED = {
    "Api",
    "ArchivistError",
    "Artifact",
    "Audio",
    "ArtifactCollection",
    "ArtifactFinalizedError",
    "ArtifactManifest",
    "ArtifactManifestEntry",
    "ArtifactNotLoggedError",
    "ArtifactTTL",
    "ArtifactType",
    "Classes",
    "CommError",
    "Error",
    "Histogram",
    "Html",
    "Image",
    "JoinedTable",
    "Molecule",
    "Object3D",
    "Retention",
    "Run",
    "Settings",
    "Table",
    "UsageError",
    "Video",
    "WaitTimeoutError",
    "__version__",
    "api",
    "config",
    "data_types",
    "define_metric",
    "errors",
    "finish",
    "init",
    "log",
    "link_artifact",
    "link_model",
    "log_artifact",
    "log_model",
    "login",
    "plot",
    "plot_table",
    "run",
    "save",
    "summary",
    "use_artifact",
    "use_model",
}


def test_all_is_pinned() -> None:
    assert set(archivist.__all__) == EXPECTED


def test_every_name_resolves() -> None:
    for name in archivist.__all__:
        if name not in ("run", "config", "summary", "api"):
            assert getattr(archivist, name) is not None, name


def test_wandb_style_errors_module() -> None:
    import archivist.errors

    assert issubclass(archivist.errors.CommError, archivist.errors.Error)


def test_import_is_cheap() -> None:
    """`import archivist` must not pull in SQLAlchemy: scripts and the CLI start fast."""
    code = "import sys, archivist; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_data_types_module_is_wandbs() -> None:
    import archivist.data_types

    assert archivist.data_types.Table is archivist.Table
    for name in ("PartitionedTable", "ImageMask", "BoundingBoxes2D", "Classes", "WBValue", "Media"):
        assert getattr(archivist.data_types, name) is not None, name


def test_tables_need_no_numpy_pandas_or_pillow() -> None:
    """`import archivist`, a Table of plain values, its JSON and its column types import
    none of the optional packages: they load only when a value needs them."""
    code = """
import sys, archivist
table = archivist.Table(columns=["a", "b"], data=[[1, "x"], [2.5, None]])
table.add_column("c", [True, False])
table.get_column("a"); list(table.iterrows()); table.cast("b", str, optional=True)
class Draft:
    def add_file(self, *a, **k): raise AssertionError("a plain table adds no file")
    def add(self, *a, **k): raise AssertionError
    def get_added_local_path_name(self, path): return None
document = table.to_json(Draft())
assert document["nrows"] == 2, document
archivist.Html("<p>x</p>"); archivist.Histogram([1, 2, 3])
print(sorted(m for m in ("numpy", "pandas", "PIL") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
