"""W&B's ``wandb.errors`` names, so ``except wandb.errors.CommError`` keeps working."""

from archivist.core.errors import *  # noqa: F403
from archivist.core.errors import ArchivistError

Error = ArchivistError
