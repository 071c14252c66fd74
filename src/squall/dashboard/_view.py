"""The JSON the API returns and the page draws: one shape for both engines.

A topology view is a plain dict (see ``docs/dashboard.md`` for every key). Figures come
unchanged from the engine's own records: ``squall.engine``'s ``Snapshot`` (what
``squall run``'s live table shows) or ``squall.storm``'s ``TopologyStats`` (what
``squall stats`` prints). Only rates and the sparkline history are added here.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Iterable, Mapping

from squall.dashboard._history import History
from squall.topology import TopologyModel
from squall.topology._render import grouping_label

# Figures a component or task row may carry; missing ones are null in the JSON.
FIGURES = ("emitted", "transferred", "executed", "acked", "failed", "capacity",
           "execute_latency_ms", "process_latency_ms", "complete_latency_ms",
           "complete_p50_ms", "complete_p99_ms", "pending", "restarts")


def figures_of(record: Any, **extra: Any) -> dict[str, Any]:
    """Return the known figures of a metrics record (a dataclass) as a dict, plus ``extra``."""
    data = asdict(record)
    row = {key: data.get(key) for key in FIGURES}
    row.update(extra)
    return row


def edges(model: TopologyModel | None) -> list[dict[str, Any]]:
    """Return the model's subscriptions: source, target, stream and grouping label."""
    if model is None:
        return []
    return [{"source": inp.source, "target": comp.name, "stream": inp.stream,
             "grouping": grouping_label(inp)}
            for comp in model.components.values() for inp in comp.inputs]


def ordered(names: Iterable[str], model: TopologyModel | None) -> list[str]:
    """Return ``names`` in the model's definition order (unknown names last, sorted)."""
    rank = {name: i for i, name in enumerate(model.components)} if model is not None else {}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def topology_view(*, engine: str, name: str, topology_id: str, status: str, uptime_secs: float,
                  components: Mapping[str, dict[str, Any]], tasks: list[dict[str, Any]],
                  errors: list[dict[str, Any]], model: TopologyModel | None, history: History,
                  actions: Iterable[str], notes: Iterable[str] = ()) -> dict[str, Any]:
    """Assemble one topology's view: components with rates and history, tasks, edges, errors."""
    rows = []
    for comp_name in ordered(components, model):
        row = dict(components[comp_name])
        row["name"] = comp_name
        row.update(history.rates(comp_name))
        row["history"] = history.sparkline(comp_name)
        rows.append(row)
    by_name = {row["name"]: row for row in rows}
    links = edges(model)
    for link in links:
        source = by_name.get(link["source"])
        link["tuples_per_sec"] = source["emitted_per_sec"] if source else 0.0
    return {"engine": engine, "name": name, "id": topology_id, "status": status,
            "uptime_secs": round(uptime_secs, 3), "components": rows, "tasks": tasks,
            "edges": links, "errors": errors, "actions": list(actions), "notes": list(notes)}
