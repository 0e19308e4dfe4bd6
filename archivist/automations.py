"""W&B's ``wandb.automations`` names: events, filters and actions (``archivist.sdk.automations``)."""

from archivist.sdk.automations import *  # noqa: F403
from archivist.sdk.automations import __all__ as __all__
