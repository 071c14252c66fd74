"""Engine configuration: Storm keys the engine honours, squall's own keys, defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from squall.errors import ConfigError

MESSAGE_TIMEOUT = "topology.message.timeout.secs"
MAX_SPOUT_PENDING = "topology.max.spout.pending"
TICK_FREQ = "topology.tick.tuple.freq.secs"
SPOUT_WAIT_MS = "topology.sleep.spout.wait.strategy.time.ms"
BATCH_SIZE = "squall.engine.batch.size"
MAX_RESTARTS = "squall.engine.max.restarts"
RESTART_WINDOW = "squall.engine.restart.window.secs"
METRICS_INTERVAL = "squall.engine.metrics.interval.secs"
DRAIN_TIMEOUT = "squall.engine.drain.timeout.secs"
SHUTDOWN_TIMEOUT = "squall.engine.shutdown.timeout.secs"
BUFFER_BYTES = "squall.engine.buffer.bytes"
PDEATHSIG = "squall.engine.pdeathsig"
LOG_MAX_BYTES = "squall.log.max_bytes"  # a task's log file rolls past this size (0: never)
LOG_BACKUPS = "squall.log.backup_count"  # rolled files kept per task (0: never roll)

DEFAULTS: Mapping[str, Any] = {
    MESSAGE_TIMEOUT: 30,
    MAX_SPOUT_PENDING: None,
    TICK_FREQ: None,
    SPOUT_WAIT_MS: 1,
    BATCH_SIZE: 256,
    MAX_RESTARTS: 5,
    RESTART_WINDOW: 60,
    METRICS_INTERVAL: 0.5,
    DRAIN_TIMEOUT: 10,
    SHUTDOWN_TIMEOUT: 10,
    BUFFER_BYTES: 1 << 20,
    PDEATHSIG: True,
    LOG_MAX_BYTES: 100 * 1024 * 1024,
    LOG_BACKUPS: 10,
}


def number(conf: Mapping[str, Any], key: str, *, minimum: float = 0.0, allow_none: bool = False) -> Optional[float]:
    """Read a numeric conf value, rejecting garbage (also NaN and infinity) with a one-line error."""
    value = conf.get(key, DEFAULTS.get(key))
    if value is None:
        if allow_none:
            return None
        raise ConfigError(f"conf {key!r} must be a number, got None; set it, e.g. -o {key}=10")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise ConfigError(f"conf {key!r} must be a finite number >= {minimum:g}, got {value!r}")
    return value


def integer(conf: Mapping[str, Any], key: str, *, minimum: int = 0, allow_none: bool = False) -> Optional[int]:
    """Read an integer conf value (None allowed when ``allow_none``)."""
    value = number(conf, key, minimum=minimum, allow_none=allow_none)
    if value is None:
        return None
    if int(value) != value:
        raise ConfigError(f"conf {key!r} must be an integer, got {value!r}")
    return int(value)


# the numeric keys the engine reads: key -> (integer?, minimum, None allowed)
RULES: Mapping[str, tuple[bool, float, bool]] = {
    MESSAGE_TIMEOUT: (False, 0.001, False),
    MAX_SPOUT_PENDING: (True, 0, True),
    TICK_FREQ: (False, 0.001, True),
    SPOUT_WAIT_MS: (False, 0.0, False),
    BATCH_SIZE: (True, 1, False),
    MAX_RESTARTS: (True, 0, False),
    RESTART_WINDOW: (False, 0.0, False),
    METRICS_INTERVAL: (False, 0.01, False),
    DRAIN_TIMEOUT: (False, 0.0, False),
    SHUTDOWN_TIMEOUT: (False, 0.1, False),
    BUFFER_BYTES: (True, 65536, False),
    LOG_MAX_BYTES: (True, 0, False),
    LOG_BACKUPS: (True, 0, False),
}


def check_option(key: str, value: Any) -> None:
    """Raise ``ConfigError`` when ``value`` is not valid for the engine key ``key`` (other keys pass).

    The CLI checks every ``-o`` with it while parsing, before anything starts.

    >>> check_option("topology.message.timeout.secs", 5)
    >>> check_option("topology.message.timeout.secs", float("nan"))
    Traceback (most recent call last):
    squall.errors.ConfigError: conf 'topology.message.timeout.secs' must be a finite number >= 0.001, got nan
    """
    if key in RULES:
        read({key: value}, key)


def read(conf: Mapping[str, Any], key: str) -> Any:
    """Return the value of the engine key ``key`` in ``conf`` (else its default), checked by its rule."""
    is_integer, minimum, allow_none = RULES[key]
    if is_integer:
        return integer(conf, key, minimum=int(minimum), allow_none=allow_none)
    return number(conf, key, minimum=minimum, allow_none=allow_none)


@dataclass(frozen=True)
class TaskSettings:
    """The engine keys a task process reads, validated: one per component conf."""

    batch_size: int
    message_timeout: float
    max_spout_pending: Optional[int]  # None: no limit (also Storm's 0)
    tick_secs: Optional[float]  # None: no tick tuples
    spout_wait_secs: float
    metrics_secs: float
    shutdown_secs: float
    log_max_bytes: int  # the task's log file rolls past this size (0: never)
    log_backups: int  # rolled log files kept (0: never roll)


def task_settings(conf: Mapping[str, Any]) -> TaskSettings:
    """Read and check the task-level keys of ``conf``; raise ``ConfigError`` on a bad value.

    ``run_local`` calls this for every component before forking, so a bad value is a
    one-line error up front rather than a task that crashes at start-up.
    """
    return TaskSettings(
        batch_size=read(conf, BATCH_SIZE) or 1,
        message_timeout=read(conf, MESSAGE_TIMEOUT) or 30.0,
        max_spout_pending=read(conf, MAX_SPOUT_PENDING) or None,
        tick_secs=read(conf, TICK_FREQ),
        spout_wait_secs=(read(conf, SPOUT_WAIT_MS) or 0.0) / 1000.0,
        metrics_secs=read(conf, METRICS_INTERVAL) or 0.5,
        shutdown_secs=read(conf, SHUTDOWN_TIMEOUT) or 10.0,
        log_max_bytes=read(conf, LOG_MAX_BYTES),
        log_backups=read(conf, LOG_BACKUPS),
    )
