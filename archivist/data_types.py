"""W&B's ``wandb.data_types``: tables and media, so ``wandb.data_types.Table`` keeps working."""

from archivist.sdk.data_types import *  # noqa: F403
from archivist.sdk.data_types import __all__ as __all__
