"""Default locations of the dev cluster's home and of the Storm jar cache."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "SQUALL_CLUSTER_HOME"
CACHE_ENV = "SQUALL_CACHE_DIR"


def default_home() -> Path:
    """Return the cluster home: ``$SQUALL_CLUSTER_HOME`` or ``~/.squall/cluster``."""
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else Path.home() / ".squall" / "cluster"


def default_cache_root() -> Path:
    """Return the root of squall's caches: ``$SQUALL_CACHE_DIR`` or ``~/.squall/cache``."""
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".squall" / "cache"


def jar_cache_dir(version: str, cache_root: Path | None = None) -> Path:
    """Return the directory holding the resolved jars of Storm ``version``."""
    return (cache_root or default_cache_root()) / f"storm-{version}"
