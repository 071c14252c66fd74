"""What ``squall run`` shows: a live table on a terminal, plain lines otherwise, a summary.

Reads the engine's metrics snapshots (``components``: name -> figures with ``kind``,
``par``, ``emitted``, ``executed``, ``acked``, ``failed``, ``capacity``, latencies);
derives per-second rates from consecutive snapshots. Prints nothing itself: it builds
renderables and lines for the command to write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from rich import box
from rich.table import Table

__all__ = ["RateTracker", "plain_lines", "progress_table", "summary_table"]

_CAPTION = "latency: spouts complete (emit to ack) mean/p99, bolts execute mean"
# RunResult.stop_reason -> how the summary says it ("stopped": the stop event, set by signals)
_STOPPED = {"time": "stopped at the time limit", "idle": "stopped when idle",
            "stopped": "stopped by Ctrl-C/SIGTERM", "failed": "stopped by a task failure"}


@dataclass
class RateTracker:
    """Turn cumulative counters of successive snapshots into per-second rates."""

    _last: dict[str, tuple[float, int, int]] = field(default_factory=dict)
    rates: dict[str, tuple[float, float]] = field(default_factory=dict)

    def update(self, snapshot: Any) -> None:
        """Record ``snapshot``; ``rates[name]`` becomes (emitted/s, executed/s) since the last one."""
        now = float(snapshot.elapsed)
        for name, comp in snapshot.components.items():
            previous = self._last.get(name)
            if previous is not None and now > previous[0]:
                span = now - previous[0]
                self.rates[name] = ((comp.emitted - previous[1]) / span, (comp.executed - previous[2]) / span)
            elif previous is None and now > 0:
                self.rates[name] = (comp.emitted / now, comp.executed / now)
            self._last[name] = (now, comp.emitted, comp.executed)


def _ordered(components: Mapping[str, Any], order: Sequence[str]) -> Iterable[tuple[str, Any]]:
    """Yield components in ``order`` (e.g. the topology's definition order), then the rest."""
    rank = {name: i for i, name in enumerate(order)}
    return sorted(components.items(), key=lambda item: rank.get(item[0], len(rank)))


def _count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


def _ms(value: float) -> str:
    """Milliseconds to one decimal; below 0.1 ms in microseconds (a fast bolt is not "0.0ms")."""
    if not value:
        return "-"
    return f"{value:.1f}ms" if value >= 0.1 else f"{value * 1000:.1f}us"


def _latency(comp: Any) -> str:
    """Spouts: complete latency (mean/p99); bolts: execute latency."""
    if comp.kind == "spout":
        if not comp.complete_latency_ms:
            return "-"
        if not comp.complete_p99_ms:  # no percentile known (Storm reports means only)
            return f"{comp.complete_latency_ms:.1f}ms"
        return f"{comp.complete_latency_ms:.1f}/{comp.complete_p99_ms:.1f}ms"
    return _ms(comp.execute_latency_ms)


def progress_table(snapshot: Any, rates: Mapping[str, tuple[float, float]], title: str = "",
                   order: Sequence[str] = ()) -> Table:
    """Return the live table: one row per component, in ``order``."""
    table = Table(title=title or None, title_justify="left", expand=False, pad_edge=False,
                  caption=_CAPTION, caption_justify="left")
    for header in ("component", "tasks", "emitted/s", "executed/s", "acked", "failed",
                   "capacity", "latency"):
        table.add_column(header, justify="left" if header == "component" else "right", no_wrap=True)
    for name, comp in _ordered(snapshot.components, order):
        emit_rate, exec_rate = rates.get(name, (0.0, 0.0))
        failed = f"[red]{_count(comp.failed)}[/red]" if comp.failed else "0"
        capacity = f"{comp.capacity:.2f}" if comp.kind != "spout" else "-"
        if comp.kind != "spout" and comp.capacity >= 0.8:
            capacity = f"[yellow]{capacity}[/yellow]"
        table.add_row(f"{name} ({comp.kind})", str(comp.par), _count(emit_rate),
                      _count(exec_rate) if comp.kind != "spout" else "-",
                      _count(comp.acked), failed, capacity, _latency(comp))
    return table


def plain_lines(snapshot: Any, rates: Mapping[str, tuple[float, float]],
                order: Sequence[str] = ()) -> list[str]:
    """Return one log-friendly line per component, in ``order``."""
    lines = []
    for name, comp in _ordered(snapshot.components, order):
        emit_rate, exec_rate = rates.get(name, (0.0, 0.0))
        parts = [f"[{snapshot.elapsed:7.1f}s] {name}:", f"emitted={comp.emitted} ({_count(emit_rate)}/s)"]
        if comp.kind != "spout":
            parts.append(f"executed={comp.executed} ({_count(exec_rate)}/s)")
            parts.append(f"capacity={comp.capacity:.2f}")
        parts += [f"acked={comp.acked}", f"failed={comp.failed}", f"latency={_latency(comp)}"]
        lines.append(" ".join(parts))
    return lines


def _summary_title(result: Any) -> str:
    """``Name: ran 30.0s, stopped at the time limit; stopping took 0.4s``.

    How long the topology ran before the stop began, why it stopped, and how long the
    stop (drain, end of the tasks; on Storm the final figures) took.
    """
    stopped = _STOPPED.get(result.stop_reason, f"stopped by {result.stop_reason}")
    began = getattr(result, "stopping_at", None)
    if began is None:  # a result that does not say when its stop began
        return f"{result.topology}: {result.elapsed:.1f}s, {stopped}"
    took = max(0.0, result.elapsed - began)
    return f"{result.topology}: ran {began:.1f}s, {stopped}; stopping took {took:.1f}s"


def summary_table(result: Any, order: Sequence[str] = (), plain: bool = False) -> Table:
    """Return the end-of-run table: totals and averages per component (ASCII when ``plain``)."""
    elapsed = max(float(result.elapsed), 1e-9)
    table = Table(title=_summary_title(result),
                  title_justify="left", pad_edge=False, box=box.ASCII if plain else box.HEAVY_HEAD,
                  caption=_CAPTION, caption_justify="left")
    for header in ("component", "tasks", "emitted", "executed", "acked", "failed",
                   "avg/s", "latency", "restarts"):
        table.add_column(header, justify="left" if header == "component" else "right", no_wrap=True)
    for name, comp in _ordered(result.components, order):
        throughput = (comp.emitted if comp.kind == "spout" else comp.executed) / elapsed
        table.add_row(f"{name} ({comp.kind})", str(comp.par), str(comp.emitted),
                      str(comp.executed) if comp.kind != "spout" else "-", str(comp.acked),
                      str(comp.failed), _count(throughput), _latency(comp), str(comp.restarts))
    return table
