"""W&B's public example notebooks (github.com/wandb/examples, ``colabs/``), each converted
by hand into a test module: the same W&B calls in the same order, with ``import archivist
as wandb``, data generated locally and small, training replaced by a few numpy lines. Each
test asserts what the notebook shows its reader: versions, aliases, files, tables, lineage.

Every module runs on the embedded store and against the two test servers (``archivist_env``)."""
