"""Watch a topology running on Storm the way ``squall run`` watches the embedded engine.

Every ``interval`` seconds Nimbus's figures (:func:`squall.storm.stats`) become a
snapshot shaped like the embedded engine's (``elapsed`` and ``components`` of
:class:`squall.engine.ComponentMetrics`), so the CLI draws the same live table and
summary; errors the tasks reported are collected as they appear. Prints nothing.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from squall.engine import ComponentMetrics
from squall.storm._env import StormEnv
from squall.storm._stats import ComponentStats, ErrorReport, stats

WATCH_INTERVAL_SECS = 2.0
_WAKE_SECS = 0.1  # how often the watching thread looks at the stop event


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
    stopping_at: float | None = None  # seconds into the watch when the stop began


def storm_snapshot(name: str, env: StormEnv, elapsed: float) -> StormSnapshot:
    """Return Nimbus's current figures of topology ``name`` as a snapshot."""
    report = stats(name, env)
    components = {c.name: _metrics(c) for c in report.components.values()}
    return StormSnapshot(elapsed, components, report.errors)


def watch(name: str, env: StormEnv, seconds: float | None, stop: threading.Event,
          on_progress: Callable[[StormSnapshot], None],
          interval: float = WATCH_INTERVAL_SECS,
          on_stop: Callable[[], None] | None = None) -> StormRunResult:
    """Feed ``on_progress`` a snapshot every ``interval`` s until ``seconds`` pass or ``stop``.

    Blocks the calling thread (``on_progress`` runs in it); returns the last figures and
    every error seen. Nimbus is asked from a helper thread, so a slow answer never delays
    the stop: it begins at ``seconds`` (or within 0.1 s of ``stop``) with ``on_stop()``
    (e.g. deactivating the topology), then the final figures are fetched.

    >>> watch("WordCount", env, 60, threading.Event(), print)   # doctest: +SKIP
    """
    started = time.monotonic()
    deadline = math.inf if seconds is None else started + seconds
    fetcher = _Fetcher(lambda: storm_snapshot(name, env, time.monotonic() - started), interval)
    seen: dict[tuple[str, int, str], ErrorReport] = {}
    reason = "time"
    try:
        while time.monotonic() < deadline:
            if stop.is_set():
                reason = "stopped"
                break
            snap = fetcher.next(min(_WAKE_SECS, deadline - time.monotonic()))
            if snap is not None:
                seen.update({(e.component, e.time_secs, e.message): e for e in snap.errors})
                on_progress(snap)
    finally:
        fetcher.close()
    stopping_at = time.monotonic() - started
    if on_stop is not None:
        on_stop()
    final = storm_snapshot(name, env, time.monotonic() - started)
    seen.update({(e.component, e.time_secs, e.message): e for e in final.errors})
    errors = sorted(seen.values(), key=lambda e: e.time_secs)
    # elapsed: once the final figures are in (stopping = on_stop + reading them)
    return StormRunResult(name, time.monotonic() - started, reason, final.components, errors,
                          stopping_at=stopping_at)


class _Fetcher:
    """Take snapshots on a daemon thread, one every ``interval`` s; hand over the newest."""

    def __init__(self, fetch: Callable[[], StormSnapshot], interval: float) -> None:
        self._fetch = fetch
        self._interval = interval
        self._ready: queue.Queue[StormSnapshot | BaseException] = queue.Queue()
        self._closed = threading.Event()
        threading.Thread(target=self._run, name="squall-storm-watch", daemon=True).start()

    def next(self, timeout: float) -> StormSnapshot | None:
        """Return a new snapshot, or None after ``timeout`` s; re-raise a failed fetch's error."""
        try:
            item = self._ready.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop fetching (a fetch under way finishes on its own; its result is dropped)."""
        self._closed.set()

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                self._ready.put(self._fetch())
            except Exception as exc:  # handed to the watching thread, which raises it
                self._ready.put(exc)
                return
            self._closed.wait(self._interval)


def _metrics(comp: ComponentStats) -> ComponentMetrics:
    return ComponentMetrics(
        name=comp.name, kind=comp.kind, par=comp.tasks, emitted=comp.emitted,
        transferred=comp.transferred, executed=comp.executed, acked=comp.acked,
        failed=comp.failed, execute_latency_ms=comp.execute_latency_ms or 0.0,
        capacity=comp.capacity or 0.0, complete_latency_ms=comp.complete_latency_ms or 0.0)
