"""``archivist.Settings``: W&B's ``wandb.Settings(...)``, as scripts pass it to ``init``.

A W&B script builds ``wandb.Settings(start_method="thread", silent=True, ...)``. The
fields with a meaning here are honoured (``HONOURED``: each names the field of Archivist's
own settings it sets); W&B's other fields are accepted and have no effect (process start
method, console capture, git and code saving, system metrics, timeouts, ...; also every
``x_``/``_`` experimental field); any other name is refused with a ValueError, as W&B's
pydantic model refuses it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.settings import Settings as StoreSettings

HONOURED: dict[str, str] = {
    "project": "project",
    "entity": "entity",
    "base_url": "base_url",
    "api_key": "api_key",
    "mode": "mode",
    "silent": "silent",
    "quiet": "silent",
    "root_dir": "run_dir",
    "run_job_type": "job_type",
    "run_group": "run_group",
    "run_name": "run_name",
    "run_notes": "run_notes",
    "run_tags": "run_tags",
}
"""W&B's field -> the field of Archivist's settings it sets."""

IGNORED = frozenset(
    [
        "allow_media_symlink",
        "allow_offline_artifacts",
        "allow_val_change",
        "anonymous",
        "app_url_override",
        "azure_account_url_to_access_key",
        "capture_loggers",
        "code_dir",
        "config_paths",
        "console",
        "console_chunk_max_bytes",
        "console_chunk_max_seconds",
        "console_multipart",
        "credentials_file",
        "disable_code",
        "disable_git",
        "disable_git_fork_point",
        "disable_job_creation",
        "docker",
        "email",
        "finish_timeout",
        "finish_timeout_raises",
        "force",
        "fork_from",
        "git_commit",
        "git_remote",
        "git_remote_url",
        "git_root",
        "heartbeat_seconds",
        "host",
        "http_proxy",
        "https_proxy",
        "identity_token_file",
        "ignore_globs",
        "init_timeout",
        "insecure_disable_ssl",
        "job_name",
        "job_source",
        "label_disable",
        "launch",
        "launch_config_path",
        "login_timeout",
        "max_end_of_run_history_metrics",
        "max_end_of_run_summary_metrics",
        "notebook_name",
        "organization",
        "program",
        "program_abspath",
        "program_relpath",
        "reinit",
        "relogin",
        "resume",
        "resume_from",
        "resumed",
        "run_id",
        "sagemaker_disable",
        "save_code",
        "settings_system",
        "show_colors",
        "show_emoji",
        "show_errors",
        "show_info",
        "show_warnings",
        "start_method",
        "stop_fn",
        "stop_on_fatal_error",
        "strict",
        "summary_timeout",
        "summary_warnings",
        "sweep_id",
        "sweep_param_path",
        "symlink",
        "sync_tensorboard",
        "table_raise_on_max_row_limit_exceeded",
        "use_dot_wandb",
        "username",
    ]
)
"""W&B's fields (its current ones, and ``start_method`` of older versions) accepted with
no effect here: ``run_id``, ``resume`` and ``reinit`` are ``init``'s own arguments."""


class Settings:
    """Settings for ``init(settings=...)``, with W&B's field names (see the module docstring)."""

    def __init__(self, **fields: Any) -> None:
        _check_names(fields)
        self._fields = dict(fields)

    def update(self, settings: Mapping[str, Any] | None = None, **fields: Any) -> None:
        """Set more fields (W&B's ``Settings.update``)."""
        changes = {**(settings or {}), **fields}
        _check_names(changes)
        self._fields.update(changes)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or not _known(name):
            raise AttributeError(f"'Settings' object has no attribute {name!r}")
        return self.__dict__.get("_fields", {}).get(name)

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self._fields.items())})"

    def applied_to(self, base: StoreSettings) -> StoreSettings:
        """``base`` with the honoured fields set (those given as None keep ``base``'s value)."""
        changes: dict[str, Any] = {}
        for name, value in self._fields.items():
            target = HONOURED.get(name)
            if target is None or value is None:
                continue
            if target == "run_dir":
                value = os.path.join(os.path.abspath(os.path.expanduser(os.fspath(value))), "wandb")
            elif target == "run_tags":
                value = (value,) if isinstance(value, str) else tuple(value)
            elif target == "silent":
                value = bool(value) or base.silent
            changes[target] = value
        return base.evolve(**changes)


def _known(name: str) -> bool:
    return name in HONOURED or name in IGNORED or name.startswith(("x_", "_"))


def _check_names(fields: Mapping[str, Any]) -> None:
    unknown = sorted(name for name in fields if not _known(name))
    if not unknown:
        return
    hints = [match for name in unknown for match in difflib.get_close_matches(name, [*HONOURED, *IGNORED], 1)]
    hint = f" (did you mean {', '.join(map(repr, hints))}?)" if hints else ""
    raise InvalidInputError(
        f"Settings has no field {', '.join(map(repr, unknown))}{hint}; it takes W&B's Settings fields, "
        f"of which these have an effect here: {', '.join(sorted(HONOURED))}"
    )
