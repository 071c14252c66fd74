"""A short history of each component's figures: per-second rates and sparkline points.

Counters (emitted, executed, acked, failed) are cumulative in both engines' snapshots;
a rate is the change of a counter over the samples of the last ``window_secs``. The
history keeps the last ``points`` samples per component for the page's sparklines.
Thread safety: the owner (a source) calls :meth:`History.add` and reads under its lock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

COUNTERS = ("emitted", "executed", "acked", "failed")
RATES = tuple(f"{name}_per_sec" for name in COUNTERS)


@dataclass
class _Series:
    samples: deque[tuple[float, dict[str, float]]]
    points: deque[dict[str, Any]]


@dataclass
class History:
    """Keep recent samples per component; derive rates and sparkline points from them."""

    window_secs: float = 3.0
    points: int = 60
    _series: dict[str, _Series] = field(default_factory=dict)

    def add(self, at: float, components: Mapping[str, Mapping[str, Any]]) -> None:
        """Record one sample taken at ``at`` seconds (monotonic): figures per component."""
        for name, figures in components.items():
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = _Series(deque(), deque(maxlen=self.points))
            counters = {key: float(figures.get(key) or 0) for key in COUNTERS}
            if series.samples and at <= series.samples[-1][0]:
                continue  # the same snapshot twice
            series.samples.append((at, counters))
            while len(series.samples) > 2 and at - series.samples[1][0] >= self.window_secs:
                series.samples.popleft()
            point = {"t": round(at, 3), "capacity": figures.get("capacity")}
            point.update(self.rates(name))
            series.points.append(point)

    def rates(self, name: str) -> dict[str, float]:
        """Return ``{"emitted_per_sec": ..., ...}`` for ``name`` (zeros before two samples)."""
        series = self._series.get(name)
        if series is None or len(series.samples) < 2:
            return {rate: 0.0 for rate in RATES}
        (t0, first), (t1, last) = series.samples[0], series.samples[-1]
        span = t1 - t0
        return {f"{key}_per_sec": max(0.0, (last[key] - first[key]) / span) for key in COUNTERS}

    def sparkline(self, name: str) -> list[dict[str, Any]]:
        """Return the recent points of ``name``: ``t``, ``capacity`` and the rates."""
        series = self._series.get(name)
        return list(series.points) if series is not None else []
