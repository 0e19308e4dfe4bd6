"""One frozen Settings object, built from the environment at the edge (``init``,
the CLI, the server) and passed down. Nothing reads ``os.environ`` elsewhere.

Each ``ARCHIVIST_*`` variable that has a W&B counterpart falls back to it when
unset (``WANDB_PROJECT`` for ``ARCHIVIST_PROJECT``, ...; see ``WANDB_NAMES``), so
a W&B script's environment works unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.sizes import parse_size

DEFAULT_ENTITY = "local"
DEFAULT_PROJECT = "uncategorized"
DEFAULT_SPACE_RESERVE_BYTES = 16 << 20
"""Free space a store keeps for deleting versions and collecting garbage (``storage.space``)."""


@dataclass(frozen=True)
class Settings:
    home: str
    """Embedded store: ``meta.sqlite`` and ``blobs/`` (ARCHIVIST_DIR, default ~/.archivist)."""
    cache_dir: str
    """Client cache and stat cache (ARCHIVIST_CACHE_DIR, default $XDG_CACHE_HOME/archivist,
    where XDG_CACHE_HOME defaults to ~/.cache)."""
    artifact_dir: str = "./artifacts"
    """Default download root (ARCHIVIST_ARTIFACT_DIR)."""
    cache_limit: int | None = None
    """Client cache size limit in bytes (ARCHIVIST_CACHE_LIMIT); None = min(10% of disk, 20 GB)."""
    entity: str | None = None
    project: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    silent: bool = False
    pack_small_blobs: bool = True
    """Whether the embedded store packs small blobs (ARCHIVIST_PACK_SMALL_BLOBS, default on)."""
    space_reserve: int = DEFAULT_SPACE_RESERVE_BYTES
    """Bytes the embedded store keeps free on its disk for freeing space (ARCHIVIST_SPACE_RESERVE)."""
    config_dir: str | None = None
    """Where ``archivist login`` keeps the server and key ($XDG_CONFIG_HOME/archivist,
    default ~/.config/archivist); None: no login file is consulted."""
    mode: str | None = None
    """``init``'s default mode (ARCHIVIST_MODE / WANDB_MODE): 'disabled' stores nothing."""
    run_dir: str | None = None
    """Where runs keep their local files (ARCHIVIST_RUN_DIR; WANDB_DIR=d means d/wandb,
    W&B's layout); None: ``<home>/runs``."""
    job_type: str | None = None
    """``init``'s defaults: job type, group, name, notes and tags (ARCHIVIST_JOB_TYPE,
    ARCHIVIST_RUN_GROUP, ARCHIVIST_NAME, ARCHIVIST_NOTES, ARCHIVIST_TAGS: comma-separated)."""
    run_group: str | None = None
    run_name: str | None = None
    run_notes: str | None = None
    run_tags: tuple[str, ...] | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = with_wandb_names(os.environ if environ is None else environ)
        home = os.path.expanduser("~")
        cache_home = env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
        reserve = parse_size_setting(env, "ARCHIVIST_SPACE_RESERVE")
        return cls(
            home=os.path.abspath(
                os.path.expanduser(env.get("ARCHIVIST_DIR") or os.path.join(home, ".archivist"))
            ),
            cache_dir=os.path.abspath(
                os.path.expanduser(env.get("ARCHIVIST_CACHE_DIR") or os.path.join(cache_home, "archivist"))
            ),
            artifact_dir=env.get("ARCHIVIST_ARTIFACT_DIR") or "./artifacts",
            cache_limit=parse_size_setting(env, "ARCHIVIST_CACHE_LIMIT"),
            entity=env.get("ARCHIVIST_ENTITY") or None,
            project=env.get("ARCHIVIST_PROJECT") or None,
            base_url=env.get("ARCHIVIST_BASE_URL") or None,
            api_key=env.get("ARCHIVIST_API_KEY") or None,
            silent=env.get("ARCHIVIST_SILENT", "").lower() in ("1", "true", "yes"),
            pack_small_blobs=parse_switch(env, "ARCHIVIST_PACK_SMALL_BLOBS", default=True),
            space_reserve=DEFAULT_SPACE_RESERVE_BYTES if reserve is None else reserve,
            config_dir=os.path.join(
                os.path.expanduser(env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")), "archivist"
            ),
            **_run_defaults(env),
        )

    def evolve(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


WANDB_NAMES: dict[str, tuple[str, str]] = {
    "ARCHIVIST_PROJECT": ("WANDB_PROJECT", ""),
    "ARCHIVIST_ENTITY": ("WANDB_ENTITY", ""),
    "ARCHIVIST_BASE_URL": ("WANDB_BASE_URL", ""),
    "ARCHIVIST_API_KEY": ("WANDB_API_KEY", ""),
    "ARCHIVIST_ARTIFACT_DIR": ("WANDB_ARTIFACT_DIR", ""),
    "ARCHIVIST_CACHE_DIR": ("WANDB_CACHE_DIR", "archivist"),
    "ARCHIVIST_SILENT": ("WANDB_SILENT", ""),
    "ARCHIVIST_MODE": ("WANDB_MODE", ""),
    "ARCHIVIST_RUN_DIR": ("WANDB_DIR", "wandb"),
    "ARCHIVIST_JOB_TYPE": ("WANDB_JOB_TYPE", ""),
    "ARCHIVIST_RUN_GROUP": ("WANDB_RUN_GROUP", ""),
    "ARCHIVIST_NAME": ("WANDB_NAME", ""),
    "ARCHIVIST_NOTES": ("WANDB_NOTES", ""),
    "ARCHIVIST_TAGS": ("WANDB_TAGS", ""),
}
"""Archivist's variable -> (W&B's variable, the folder W&B's value names below it, if any).
A W&B cache folder gets an ``archivist`` folder of its own; ``WANDB_DIR=d`` keeps runs in
``d/wandb`` as W&B does."""


def with_wandb_names(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with each unset (or empty) ``ARCHIVIST_*`` variable taken from its W&B name."""
    merged = dict(env)
    for name, (wandb_name, below) in WANDB_NAMES.items():
        if not merged.get(name) and env.get(wandb_name):
            value = env[wandb_name]
            merged[name] = os.path.join(os.path.expanduser(value), below) if below else value
    return merged


def _run_defaults(env: Mapping[str, str]) -> dict[str, Any]:
    tags = env.get("ARCHIVIST_TAGS")
    run_dir = env.get("ARCHIVIST_RUN_DIR")
    return {
        "mode": env.get("ARCHIVIST_MODE", "").strip().lower() or None,
        "run_dir": os.path.abspath(os.path.expanduser(run_dir)) if run_dir else None,
        "job_type": env.get("ARCHIVIST_JOB_TYPE") or None,
        "run_group": env.get("ARCHIVIST_RUN_GROUP") or None,
        "run_name": env.get("ARCHIVIST_NAME") or None,
        "run_notes": env.get("ARCHIVIST_NOTES") or None,
        "run_tags": tuple(t.strip() for t in tags.split(",") if t.strip()) if tags else None,
    }


_SWITCH_VALUES = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def parse_size_setting(env: Mapping[str, str], name: str) -> int | None:
    """A size environment variable (``5GB``), None when unset; ``InvalidInputError`` naming it."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_size(raw)
    except InvalidInputError as error:
        raise InvalidInputError(f"{name}: {error.message}") from None


def parse_switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """An on/off environment variable; ``InvalidInputError`` naming it for anything else."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _SWITCH_VALUES:
        raise InvalidInputError(
            f"{name}={env[name]!r} is not a switch: use 1/0, true/false, yes/no or on/off"
        )
    return _SWITCH_VALUES[raw]
