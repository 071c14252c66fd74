"""Per-component statistics and recent errors of a running topology, from Nimbus.

Figures are Nimbus' own aggregates for the topology page (``getTopologyPageInfo``,
what Storm's UI shows: emitted, transferred, acked, failed, latencies, capacity over
the last 10 minutes); executor counts, which executors have reported, and the errors
come from ``getTopologyInfo``. Both through :class:`~squall.storm.nimbus.NimbusClient`,
so it works on any cluster Nimbus is reachable on, with or without the Storm UI.
Workers report stats every ``executor.metrics.frequency.secs`` (Storm's default: 60 s):
figures lag by up to that much.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from squall.errors import NimbusError
from squall.storm._control import nimbus, require_topology
from squall.storm._env import StormEnv

ALL_TIME = ":all-time"
CAPACITY_WINDOW = "600"


@dataclass(frozen=True)
class ErrorReport:
    """One error a task reported (``raise_exception``, a crash), newest first in lists."""

    component: str
    message: str
    time_secs: int
    host: str | None = None
    port: int | None = None


@dataclass
class ComponentStats:
    """All-time counters of one component, summed over its executors.

    Latencies are in milliseconds (executed-weighted means); ``capacity`` is the
    busiest executor's share of the last 10 minutes spent executing (bolts; ~1.0
    means the component is a bottleneck).
    """

    name: str
    kind: str  # "spout", "bolt" or "system" (Storm's own executors, e.g. __acker)
    executors: int = 0
    tasks: int = 0
    emitted: int = 0
    transferred: int = 0
    acked: int = 0
    failed: int = 0
    executed: int = 0
    complete_latency_ms: float | None = None
    process_latency_ms: float | None = None
    execute_latency_ms: float | None = None
    capacity: float | None = None
    reporting: int = 0  # executors that have sent stats so far
    errors: list[ErrorReport] = field(default_factory=list)


@dataclass(frozen=True)
class TopologyStats:
    """A topology's status and the stats of its components."""

    name: str
    id: str
    status: str
    uptime_secs: int
    components: dict[str, ComponentStats]
    # per executor, keyed by its first task id: the same figures, summed over fewer executors
    executors: dict[int, ComponentStats] = field(default_factory=dict)

    @property
    def errors(self) -> list[ErrorReport]:
        """Every reported error, newest first."""
        found = [e for c in self.components.values() for e in c.errors]
        return sorted(found, key=lambda e: -e.time_secs)


def stats(name: str, env: StormEnv, component: str | None = None,
          include_system: bool = False) -> TopologyStats:
    """Return the stats of topology ``name`` (only ``component`` if given).

    Raises TopologyNotRunning when no such topology runs, and NimbusError when the
    topology has no component called ``component``.

    >>> stats("WordCount", DevCluster().storm_env()).components["count"].acked  # doctest: +SKIP
    1200
    """
    topo = require_topology(env, name)
    info = _topology_info(env, topo.id)
    components: dict[str, ComponentStats] = {}
    executors: dict[int, ComponentStats] = {}
    for ex in info.executors or []:
        comp = components.setdefault(ex.component_id, ComponentStats(ex.component_id, "system"))
        _add_executor(comp, ex)
        one = executors[ex.executor_info.task_start] = ComponentStats(ex.component_id, "system")
        _add_executor(one, ex)
        _finish(one)
    for comp_name, errors in (info.errors or {}).items():
        comp = components.setdefault(comp_name, ComponentStats(comp_name, "system"))
        comp.errors = sorted(
            (ErrorReport(comp_name, e.error, e.error_time_secs, e.host, e.port) for e in errors),
            key=lambda e: -e.time_secs)
    for comp in components.values():
        _finish(comp)
    _apply_page_info(env, topo.id, components)
    if component is not None:
        if component not in components:
            known = ", ".join(sorted(c for c in components if not c.startswith("__")))
            raise NimbusError(f"topology '{name}' has no component '{component}' "
                              f"(components: {known})")
        components = {component: components[component]}
    elif not include_system:
        components = {n: c for n, c in components.items() if not n.startswith("__")}
    executors = {task: e for task, e in sorted(executors.items()) if e.name in components}
    return TopologyStats(info.name, info.id, info.status, info.uptime_secs, components, executors)


def _topology_info(env: StormEnv, topology_id: str) -> Any:
    with nimbus(env) as client:
        return client.topology_info(topology_id)


def _apply_page_info(env: StormEnv, topology_id: str,
                     components: dict[str, ComponentStats]) -> None:
    """Replace the figures summed from executors by Nimbus' topology-page aggregates."""
    with nimbus(env) as client:
        page = client.topology_page_info(topology_id, ALL_TIME, include_system=False)
    for kind, by_id in (("spout", page.id_to_spout_agg_stats),
                        ("bolt", page.id_to_bolt_agg_stats)):
        for comp_id, agg in (by_id or {}).items():
            comp = components.setdefault(comp_id, ComponentStats(comp_id, kind))
            _apply_aggregate(comp, agg, kind)


def _apply_aggregate(comp: ComponentStats, agg: Any, kind: str) -> None:
    comp.kind = "system" if comp.name.startswith("__") else kind
    common = agg.common_stats
    if common is not None:
        comp.emitted = common.emitted or 0
        comp.transferred = common.transferred or 0
        comp.acked = common.acked or 0
        comp.failed = common.failed or 0
    specific = agg.specific_stats
    if specific is None:
        return
    if specific.spout is not None:
        comp.complete_latency_ms = specific.spout.complete_latency_ms
    if specific.bolt is not None:
        bolt = specific.bolt
        comp.executed = bolt.executed or 0
        comp.execute_latency_ms = bolt.execute_latency_ms
        comp.process_latency_ms = bolt.process_latency_ms
        comp.capacity = bolt.capacity


class _Weighted:
    """Accumulate an executed-weighted mean."""

    def __init__(self) -> None:
        self.total = 0.0
        self.weight = 0

    def add(self, mean: float, weight: int) -> None:
        self.total += mean * weight
        self.weight += weight

    def value(self) -> float | None:
        return self.total / self.weight if self.weight else None


def _user_streams(by_window: dict[str, dict[Any, Any]] | None, window: str = ALL_TIME
                  ) -> dict[Any, Any]:
    values = (by_window or {}).get(window) or {}
    return {k: v for k, v in values.items()
            if not str(getattr(k, "streamId", k)).startswith("__")}


def _add_executor(comp: ComponentStats, ex: Any) -> None:
    comp.executors += 1
    comp.tasks += ex.executor_info.task_end - ex.executor_info.task_start + 1
    st = ex.stats
    if st is None:
        return
    comp.reporting += 1
    comp.emitted += sum(_user_streams(st.emitted).values())
    comp.transferred += sum(_user_streams(st.transferred).values())
    weights = comp.__dict__.setdefault("_means", {})
    if st.specific.spout is not None:
        comp.kind = "spout"
        spout = st.specific.spout
        acked = _user_streams(spout.acked)
        comp.acked += sum(acked.values())
        comp.failed += sum(_user_streams(spout.failed).values())
        for stream, mean in _user_streams(spout.complete_ms_avg).items():
            weights.setdefault("complete", _Weighted()).add(mean, acked.get(stream, 0))
    elif st.specific.bolt is not None:
        comp.kind = "bolt" if not comp.name.startswith("__") else "system"
        _add_bolt(comp, st.specific.bolt, ex.uptime_secs, weights)


def _add_bolt(comp: ComponentStats, bolt: Any, uptime: int, weights: dict[str, _Weighted]
              ) -> None:
    executed = _user_streams(bolt.executed)
    acked = _user_streams(bolt.acked)
    comp.acked += sum(acked.values())
    comp.failed += sum(_user_streams(bolt.failed).values())
    comp.executed += sum(executed.values())
    for stream, mean in _user_streams(bolt.execute_ms_avg).items():
        weights.setdefault("execute", _Weighted()).add(mean, executed.get(stream, 0))
    for stream, mean in _user_streams(bolt.process_ms_avg).items():
        weights.setdefault("process", _Weighted()).add(mean, acked.get(stream, 0))
    window_secs = min(max(uptime, 1), int(CAPACITY_WINDOW))
    busy_ms = sum(
        mean * _user_streams(bolt.executed, CAPACITY_WINDOW).get(stream, 0)
        for stream, mean in _user_streams(bolt.execute_ms_avg, CAPACITY_WINDOW).items())
    capacity = busy_ms / (window_secs * 1000.0)
    comp.capacity = max(comp.capacity or 0.0, capacity)


def _finish(comp: ComponentStats) -> None:
    weights = comp.__dict__.pop("_means", {})
    if "complete" in weights:
        comp.complete_latency_ms = weights["complete"].value()
    if "execute" in weights:
        comp.execute_latency_ms = weights["execute"].value()
    if "process" in weights:
        comp.process_latency_ms = weights["process"].value()
