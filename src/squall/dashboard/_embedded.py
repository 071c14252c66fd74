"""The dashboard's source for an embedded run: the snapshots ``run_local`` already makes.

``on_progress`` is handed to ``run_local`` (chained after the terminal view's): it keeps
a reference to the snapshot and appends one history point, so the run does no extra
work per tuple and none per request. HTTP threads build views from the kept snapshot.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from squall.dashboard._errors import UnknownTopology, UnsupportedAction
from squall.dashboard._history import History
from squall.dashboard._view import figures_of, topology_view
from squall.engine import RunResult, Snapshot
from squall.topology import TopologyModel

ACTIONS = ("kill",)


class EmbeddedSource:
    """Serve one embedded run: the topology, its live figures, its crashes; ``kill`` stops it.

    Thread safety: ``on_progress``/``finished`` run on the engine's thread, views on HTTP
    threads; a lock guards the kept snapshot and the history.

    Example::

        source = EmbeddedSource(model, stop_event=stop)
        run_local(model, on_progress=source.on_progress, stop_event=stop)
    """

    engine = "embedded"

    def __init__(self, model: TopologyModel, stop_event: Optional[threading.Event] = None,
                 history: Optional[History] = None) -> None:
        self.model = model
        self.stop_event = stop_event
        self.history = history if history is not None else History()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | RunResult | None = None
        self._finished = False

    def on_progress(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` (the engine calls this about once a second)."""
        components = {name: {"emitted": c.emitted, "executed": c.executed, "acked": c.acked,
                             "failed": c.failed, "capacity": c.capacity}
                      for name, c in snapshot.components.items()}
        with self._lock:
            self._snapshot = snapshot
            self.history.add(snapshot.elapsed, components)

    def finished(self, result: RunResult) -> None:
        """Keep the final figures of the run once ``run_local`` returned."""
        with self._lock:
            self._snapshot, self._finished = result, True

    def topologies(self) -> list[dict[str, Any]]:
        """Return the one topology of this run as a summary row."""
        view = self.view(self.model.name)
        return [{"name": view["name"], "id": view["id"], "status": view["status"],
                 "uptime_secs": view["uptime_secs"], "components": len(view["components"]),
                 "tasks": len(view["tasks"])}]

    def status(self) -> str:
        """Return ``ACTIVE``, ``STOPPING`` (stop requested) or ``FINISHED``."""
        if self._finished:
            return "FINISHED"
        if self.stop_event is not None and self.stop_event.is_set():
            return "STOPPING"
        return "ACTIVE"

    def view(self, name: str) -> dict[str, Any]:
        """Return the view of ``name`` (see ``squall.dashboard._view``)."""
        if name != self.model.name:
            raise UnknownTopology(f"this run shows topology '{self.model.name}', not '{name}'")
        with self._lock:
            snap = self._snapshot
            components = {n: figures_of(c, kind=c.kind, par=c.par, tasks=c.par)
                          for n, c in (snap.components.items() if snap else ())}
            if not components:  # before the first snapshot: the model, no figures yet
                components = {n: {"kind": c.kind, "par": c.par, "tasks": c.par}
                              for n, c in self.model.components.items()}
            tasks = [figures_of(t, task=t.task, component=t.component, kind=t.kind)
                     for t in (snap.tasks.values() if snap else ())]
            errors = [{"component": c.component, "task": c.task, "time_secs": round(c.at_secs, 3),
                       "text": c.error or c.summary()} for c in (snap.crashes if snap else ())]
            return topology_view(
                engine=self.engine, name=self.model.name, topology_id=self.model.name,
                status=self.status(), uptime_secs=snap.elapsed if snap else 0.0,
                components=components, tasks=tasks, errors=errors[::-1], model=self.model,
                history=self.history, actions=() if self._finished else ACTIONS)

    def act(self, name: str, action: str, params: dict[str, Any]) -> str:
        """Do ``action`` on the run: only ``kill`` (a clean stop, as Ctrl-C) exists here."""
        self.view(name)  # raises UnknownTopology
        if action != "kill":
            raise UnsupportedAction(f"the embedded engine cannot '{action}' a run; its only action "
                                    "is 'kill' (stop the run cleanly, as Ctrl-C does)")
        if self.stop_event is None:
            raise UnsupportedAction("this run cannot be stopped from the dashboard (no stop event)")
        self.stop_event.set()
        return f"stopping {name}: draining pending tuples"

    def topology_model(self, name: str) -> TopologyModel:
        """Return the model of ``name`` (for the graph)."""
        self.view(name)
        return self.model
