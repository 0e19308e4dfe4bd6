"""W&B's ``wandb.plot``: ``import archivist as wandb; wandb.plot.confusion_matrix(...)``."""

from archivist.sdk.plots import *  # noqa: F403
from archivist.sdk.plots import __all__ as __all__
