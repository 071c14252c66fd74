"""Optional per-process rotating log files, configured from the topology conf.

Conf keys (all optional; no ``squall.log.path`` and no ``--log-file``: no file):

``squall.log.path``
    directory for the files; each process writes
    ``squall-<component>-<task id>.log`` there.
``squall.log.max_bytes``
    rotate past this size (default 100 MiB).
``squall.log.backup_count``
    rotated files kept (default 10).
``squall.log.level``
    lowest level written to the file: trace, debug, info (default), warn, error.
    Storm itself receives every ``log`` command and filters with its own config.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from typing import Any, Mapping, Optional

from squall.errors import ConfigError

_LEVELS = {"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "warning": logging.WARNING, "error": logging.ERROR}
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_BACKUP_COUNT = 10


def _int(conf: Mapping[str, Any], key: str, default: int) -> int:
    value = conf.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"conf {key!r} must be a non-negative integer, got {value!r}")
    return value


def log_file_path(conf: Mapping[str, Any], component: str, task_id: int) -> Optional[str]:
    """Return the log file of this task from ``squall.log.path``, or None when unset.

    >>> log_file_path({"squall.log.path": "/var/log/squall"}, "count", 3)
    '/var/log/squall/squall-count-3.log'
    """
    directory = conf.get("squall.log.path")
    if not directory:
        return None
    return os.path.join(str(directory), f"squall-{component}-{task_id}.log")


def open_log_file(path: str, conf: Mapping[str, Any], name: str) -> logging.Logger:
    """Return a private logger writing to a rotating file at ``path``."""
    level_name = str(conf.get("squall.log.level", "info")).lower()
    if level_name not in _LEVELS:
        raise ConfigError(
            f"conf 'squall.log.level' is {level_name!r}; use one of: trace, debug, info, warn, error"
        )
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path,
        maxBytes=_int(conf, "squall.log.max_bytes", DEFAULT_MAX_BYTES),
        backupCount=_int(conf, "squall.log.backup_count", DEFAULT_BACKUP_COUNT),
        encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(f"squall.multilang.file.{name}")
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(_LEVELS[level_name])
    return logger
