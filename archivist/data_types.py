"""W&B's ``wandb.data_types``: tables and media, so ``wandb.data_types.Table`` keeps working."""

from archivist.sdk.data_types import *  # noqa: F403
from archivist.sdk.data_types import __all__ as __all__
from archivist.sdk.data_types.column_types import ForeignIndexType as _ForeignIndexType  # noqa: F401
