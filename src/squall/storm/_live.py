"""Watch a topology running on Storm the way ``squall run`` watches the embedded engine.

Every ``interval`` seconds Nimbus's figures (:func:`squall.storm.stats`) become a
snapshot shaped like the embedded engine's (``elapsed`` and ``components`` of
:class:`squall.engine.ComponentMetrics`), so the CLI draws the same live table and
summary; errors the tasks reported are collected as they appear. Prints nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from squall.engine import ComponentMetrics
from squall.storm._env import StormEnv
from squall.storm._stats import ComponentStats, ErrorReport, stats

WATCH_INTERVAL_SECS = 2.0


@dataclass(frozen=True)
class StormSnapshot:
    """Nimbus's figures ``elapsed`` seconds into the run, per component."""

    elapsed: float
    components: dict[str, ComponentMetrics]
    errors: list[ErrorReport] = field(default_factory=list)


@dataclass(frozen=True)
class StormRunResult:
    """How a watched run ended: the last figures and every error reported meanwhile.

    Shaped like the embedded engine's RunResult where the CLI reads it; ``crashes``
    is empty (Storm restarts dead workers itself: their errors are in ``errors``).
    """

    topology: str
    elapsed: float
    stop_reason: str  # "time" (the limit was reached) or "stopped" (the stop event)
    components: dict[str, ComponentMetrics]
    errors: list[ErrorReport]
    log_dir: Path | None = None
    crashes: tuple[()] = ()


def storm_snapshot(name: str, env: StormEnv, elapsed: float) -> StormSnapshot:
    """Return Nimbus's current figures of topology ``name`` as a snapshot."""
    report = stats(name, env)
    components = {c.name: _metrics(c) for c in report.components.values()}
    return StormSnapshot(elapsed, components, report.errors)


def watch(name: str, env: StormEnv, seconds: float | None, stop: threading.Event,
          on_progress: Callable[[StormSnapshot], None],
          interval: float = WATCH_INTERVAL_SECS) -> StormRunResult:
    """Feed ``on_progress`` a snapshot every ``interval`` s until ``seconds`` pass or ``stop``.

    Blocks the calling thread; returns the last figures and every error seen.

    >>> watch("WordCount", env, 60, threading.Event(), print)   # doctest: +SKIP
    """
    started = time.monotonic()
    seen: dict[tuple[str, int, str], ErrorReport] = {}
    reason = "time"
    while True:
        snap = storm_snapshot(name, env, time.monotonic() - started)
        seen.update({(e.component, e.time_secs, e.message): e for e in snap.errors})
        on_progress(snap)
        left = None if seconds is None else seconds - (time.monotonic() - started)
        if left is not None and left <= 0:
            break
        if stop.wait(interval if left is None else min(interval, left)):
            reason = "stopped"
            break
    final = storm_snapshot(name, env, time.monotonic() - started)
    seen.update({(e.component, e.time_secs, e.message): e for e in final.errors})
    errors = sorted(seen.values(), key=lambda e: e.time_secs)
    return StormRunResult(name, final.elapsed, reason, final.components, errors)


def _metrics(comp: ComponentStats) -> ComponentMetrics:
    return ComponentMetrics(
        name=comp.name, kind=comp.kind, par=comp.tasks, emitted=comp.emitted,
        transferred=comp.transferred, executed=comp.executed, acked=comp.acked,
        failed=comp.failed, execute_latency_ms=comp.execute_latency_ms or 0.0,
        capacity=comp.capacity or 0.0, complete_latency_ms=comp.complete_latency_ms or 0.0)
