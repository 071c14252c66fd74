"""Default locations of the dev cluster's and dev broker's homes and of the jar caches."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "SQUALL_CLUSTER_HOME"
KAFKA_HOME_ENV = "SQUALL_KAFKA_HOME"
CACHE_ENV = "SQUALL_CACHE_DIR"


def default_home() -> Path:
    """Return the cluster home: ``$SQUALL_CLUSTER_HOME`` or ``~/.squall/cluster``."""
    return _home_from(HOME_ENV, "cluster")


def default_kafka_home() -> Path:
    """Return the dev broker's home: ``$SQUALL_KAFKA_HOME`` or ``~/.squall/kafka``."""
    return _home_from(KAFKA_HOME_ENV, "kafka")


def _home_from(env_name: str, folder: str) -> Path:
    value = os.environ.get(env_name)
    return Path(value).expanduser() if value else Path.home() / ".squall" / folder


def default_cache_root() -> Path:
    """Return the root of squall's caches: ``$SQUALL_CACHE_DIR`` or ``~/.squall/cache``."""
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".squall" / "cache"


def jar_cache_dir(version: str, cache_root: Path | None = None) -> Path:
    """Return the directory holding the resolved jars of Storm ``version``."""
    return (cache_root or default_cache_root()) / f"storm-{version}"


def kafka_jar_cache_dir(version: str, cache_root: Path | None = None) -> Path:
    """Return the directory holding the resolved jars of Apache Kafka ``version``."""
    return (cache_root or default_cache_root()) / f"kafka-{version}"
