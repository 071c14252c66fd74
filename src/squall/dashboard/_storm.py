"""The dashboard's source for a Storm cluster: what ``squall stats`` and ``squall list`` read.

Figures come from ``squall.storm.stats`` (Nimbus' ``getTopologyInfo``), the list from
``list_topologies``, the graph from the topology Nimbus was given (``getUserTopology``),
actions go through ``squall.storm``'s activate/deactivate/rebalance/kill. Answers are
cached for ``cache_secs`` so many open pages cost Nimbus one call per interval.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional, TypeVar

from squall.dashboard._errors import DashboardError, UnknownTopology, UnsupportedAction
from squall.dashboard._history import History
from squall.dashboard._view import figures_of, topology_view
from squall.storm import StormEnv, activate, deactivate, kill, list_topologies, rebalance, stats
from squall.storm._control import nimbus
from squall.storm.nimbus import TopologyNotRunning
from squall.topology import BOLT, SPOUT, ComponentModel, Grouping, GroupingKind, InputModel, Stream, TopologyModel
from squall.errors import TopologyError

ACTIONS = ("activate", "deactivate", "rebalance", "kill")
_FREQUENCY_KEY = "executor.metrics.frequency.secs"
_T = TypeVar("_T")


class StormSource:
    """Serve the topologies of one Storm cluster (``env``); thread-safe.

    Example::

        with DashboardServer(StormSource(DevCluster().storm_env())) as server:
            print(server.url)
    """

    engine = "storm"

    def __init__(self, env: StormEnv, cache_secs: float = 1.0) -> None:
        self.env = env
        self.cache_secs = cache_secs
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}
        self._models: dict[str, tuple[TopologyModel, float]] = {}  # topology id -> (model, frequency)
        self._histories: dict[str, History] = {}

    # -- reading ------------------------------------------------------------------------

    def _cached(self, key: str, fetch: Callable[[], _T]) -> _T:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.cache_secs:
                cached: _T = hit[1]
                return cached
            value = fetch()
            self._cache[key] = (time.monotonic(), value)
            return value

    def topologies(self) -> list[dict[str, Any]]:
        """Return the cluster's topologies (``squall list``'s rows)."""
        return self._cached("", lambda: [
            {"name": t.name, "id": t.id, "status": t.status, "uptime_secs": t.uptime_secs,
             "workers": t.num_workers, "executors": t.num_executors, "tasks": t.num_tasks}
            for t in list_topologies(self.env)])

    def _stats(self, name: str) -> Any:
        try:
            return stats(name, self.env)
        except TopologyNotRunning as exc:
            raise UnknownTopology(str(exc)) from None

    def _model(self, topology_id: str, name: str) -> tuple[TopologyModel, float]:
        known = self._models.get(topology_id)
        if known is None:
            with nimbus(self.env) as client:
                structure = client.user_topology(topology_id)
                conf = client.topology_conf(topology_id)
            frequency = float(conf.get(_FREQUENCY_KEY) or 60)
            known = self._models[topology_id] = (model_from_storm(name, structure), frequency)
        return known

    def view(self, name: str) -> dict[str, Any]:
        """Return the view of topology ``name`` (cached for ``cache_secs``)."""
        return self._cached("view:" + name, lambda: self._build(name))

    def _build(self, name: str) -> dict[str, Any]:
        result = self._stats(name)
        model, frequency = self._model(result.id, name)
        history = self._histories.setdefault(result.id, History(window_secs=2 * frequency + 1))
        components = {n: figures_of(c, kind=c.kind, par=c.executors, tasks=c.tasks, reporting=c.reporting)
                      for n, c in result.components.items()}
        history.add(time.monotonic(), components)
        tasks = [figures_of(e, task=task, component=e.name, kind=e.kind, tasks=e.tasks)
                 for task, e in result.executors.items()]
        errors = [{"component": e.component, "task": None, "time_secs": e.time_secs, "text": e.message,
                   "host": e.host, "port": e.port} for e in result.errors]
        notes = [f"Figures come from Nimbus and lag by up to {_FREQUENCY_KEY} ({frequency:g} s); "
                 "a task row is one executor (its first task id)."]
        live_model = model.with_par({n: c.executors for n, c in result.components.items()
                                     if n in model.components and c.executors})
        return topology_view(
            engine=self.engine, name=result.name, topology_id=result.id, status=result.status,
            uptime_secs=result.uptime_secs, components=components, tasks=tasks, errors=errors,
            model=live_model, history=history, actions=ACTIONS, notes=notes)

    def topology_model(self, name: str) -> Optional[TopologyModel]:
        """Return the model of ``name`` with each component's current executor count as par."""
        view = self.view(name)
        model, _ = self._model(view["id"], name)
        par = {c["name"]: c["par"] for c in view["components"] if c["name"] in model.components and c["par"]}
        return model.with_par(par)

    # -- actions ------------------------------------------------------------------------

    def act(self, name: str, action: str, params: dict[str, Any]) -> str:
        """Do ``action`` on topology ``name`` through Nimbus; return what was done."""
        if action not in ACTIONS:
            raise UnsupportedAction(f"Storm has no action '{action}': use activate, deactivate, "
                                    "rebalance or kill")
        try:
            message = self._act(name, action, params)
        except TopologyNotRunning as exc:
            raise UnknownTopology(str(exc)) from None
        with self._lock:
            self._cache.clear()
        return message

    def _act(self, name: str, action: str, params: dict[str, Any]) -> str:
        if action == "activate":
            activate(name, self.env)
            return f"activated {name}"
        if action == "deactivate":
            deactivate(name, self.env)
            return f"deactivated {name}"
        wait = _count(params, "wait_secs", minimum=0)
        if action == "kill":
            kill(name, self.env, wait_secs=wait)
            return f"killing {name}" + (f" after {wait} s" if wait is not None else
                                        " after its message timeout")
        workers = _count(params, "workers", minimum=1)
        par = params.get("par") or {}
        if not isinstance(par, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                                for v in par.values()):
            raise DashboardError('rebalance: "par" must map component names to executor counts >= 1, '
                                 'e.g. {"par": {"count": 4}}')
        known = {c["name"] for c in self.view(name)["components"]}
        unknown = sorted(set(par) - known)
        if unknown:
            raise DashboardError(f"rebalance: topology '{name}' has no component '{unknown[0]}' "
                                 f"(components: {', '.join(sorted(known))})")
        if workers is None and not par:
            raise DashboardError('rebalance: give "workers" and/or "par", e.g. {"par": {"count": 4}}')
        rebalance(name, self.env, workers=workers, par=par or None, wait_secs=wait)
        changes = [f"{k}={v}" for k, v in sorted(par.items())] + ([f"workers={workers}"] if workers else [])
        return f"rebalancing {name}: {', '.join(changes)}"


def _count(params: dict[str, Any], key: str, minimum: int) -> Optional[int]:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DashboardError(f'"{key}" must be a whole number >= {minimum}, got {value!r}')
    return value


def _grouping(thrift_grouping: Any, stream_fields: tuple[str, ...] = ()) -> Grouping:
    """Return squall's name for a Thrift ``Grouping`` union (unknown custom ones read as ``none``).

    Storm's ``PartialKeyGrouping()`` without arguments keys on the stream's first field.
    """
    g = thrift_grouping
    if g.fields is not None:
        return Grouping.fields(*g.fields) if g.fields else Grouping.GLOBAL
    for kind in GroupingKind:  # the Thrift union names its null-struct members as our kinds
        if getattr(g, kind.value, None) is not None:
            return Grouping(kind)
    custom = getattr(g, "custom_object", None)
    if custom is not None and custom.full_class_name.endswith("PartialKeyGrouping"):
        names = [a.string_arg for a in custom.args_list or [] if a.string_arg] or list(stream_fields[:1])
        if names:
            return Grouping.partial_key(*names)
    return Grouping.NONE


def model_from_storm(name: str, structure: Any) -> TopologyModel:
    """Return a TopologyModel (for drawing) of a Thrift ``StormTopology``; no class paths."""
    parts: list[tuple[str, str, Any]] = [(n, SPOUT, s.common) for n, s in (structure.spouts or {}).items()]
    parts += [(n, BOLT, b.common) for n, b in (structure.bolts or {}).items()]
    streams = {n: _streams(common) for n, _, common in parts}
    components: dict[str, ComponentModel] = {}
    for comp_name, kind, common in parts:
        inputs = tuple(InputModel(sid.componentId, sid.streamId,
                                  _grouping(g, streams[sid.componentId][sid.streamId].fields))
                       for sid, g in (common.inputs or {}).items()
                       if sid.streamId in streams.get(sid.componentId, {}))
        components[comp_name] = ComponentModel(
            name=comp_name, kind=kind, class_path="", component_class=object,
            par=max(1, common.parallelism_hint or 1), streams=streams[comp_name], inputs=inputs, config={})
    order = _topological(components)
    return TopologyModel(name=name, components={n: components[n] for n in order}, config={})


def _streams(common: Any) -> dict[str, Stream]:
    found = {}
    for stream, info in (common.streams or {}).items():
        if stream.startswith("__"):
            continue  # Storm's system streams
        try:
            found[stream] = Stream(info.output_fields or [], name=stream, direct=bool(info.direct))
        except TopologyError:
            found[stream] = Stream([], name=stream, direct=bool(info.direct))
    return found


def _topological(components: dict[str, ComponentModel]) -> list[str]:
    """Order components spouts first, then each after its sources (cycles: by name)."""
    done: list[str] = []
    pending = sorted(components, key=lambda n: (components[n].kind != SPOUT, n))
    while pending:
        ready = [n for n in pending if all(i.source in done or i.source == n for i in components[n].inputs)]
        step = ready[0] if ready else pending[0]
        done.append(step)
        pending.remove(step)
    return done
