"""``/metrics``: the views of every topology in Prometheus' text exposition format 0.0.4.

Counters end in ``_total``; latencies are in seconds (Prometheus' base unit); labels are
``topology``, ``component`` and, where the engine reports tasks, ``task``. Sum over
``task`` in PromQL for a component's figure (``sum by (component) (...)``). Rows come
from the same views the JSON API returns, so the page and Prometheus agree.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# (metric name, type, help, figure key, scale)
_FAMILIES: tuple[tuple[str, str, str, str, float], ...] = (
    ("squall_tuples_emitted_total", "counter", "Tuples emitted (all user streams).", "emitted", 1.0),
    ("squall_tuples_transferred_total", "counter", "Tuples sent to downstream tasks.", "transferred", 1.0),
    ("squall_tuples_executed_total", "counter", "Input tuples a bolt processed.", "executed", 1.0),
    ("squall_tuples_acked_total", "counter", "Tuples acked (spouts: trees completed).", "acked", 1.0),
    ("squall_tuples_failed_total", "counter", "Tuples failed (spouts: trees failed or timed out).",
     "failed", 1.0),
    ("squall_capacity_ratio", "gauge",
     "Share of the recent window a bolt task spent executing (1 = saturated).", "capacity", 1.0),
    ("squall_execute_latency_seconds", "gauge", "Mean time a bolt spends per input tuple.",
     "execute_latency_ms", 0.001),
    ("squall_complete_latency_seconds", "gauge", "Mean time from a spout's emit to the full ack.",
     "complete_latency_ms", 0.001),
    ("squall_spout_pending", "gauge", "Tuple trees a spout has open.", "pending", 1.0),
    ("squall_task_restarts_total", "counter", "Times a crashed task process was restarted.",
     "restarts", 1.0),
)


def _label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, Any]]) -> str:
    return "{" + ",".join(f'{key}="{_label(value)}"' for key, value in pairs) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _rows(view: dict[str, Any]) -> list[tuple[list[tuple[str, Any]], dict[str, Any]]]:
    """Return (labels, figures) per task when the engine reports tasks, else per component."""
    topology = view["name"]
    kinds = {c["name"]: c.get("kind") for c in view["components"]}
    if view["tasks"]:
        return [([("topology", topology), ("component", t["component"]), ("task", t["task"])],
                 dict(t, kind=kinds.get(t["component"], t.get("kind"))))
                for t in view["tasks"]]
    return [([("topology", topology), ("component", c["name"])], c) for c in view["components"]]


def _value(figures: dict[str, Any], key: str) -> Optional[float]:
    value = figures.get(key)
    if value is None or isinstance(value, bool):
        return None
    if key == "pending" and figures.get("kind") != "spout":
        return None
    if key in ("capacity", "execute_latency_ms") and figures.get("kind") == "spout":
        return None
    if key == "complete_latency_ms" and figures.get("kind") != "spout":
        return None
    return float(value)


def prometheus_text(views: Iterable[dict[str, Any]]) -> str:
    """Return the exposition text for ``views`` (topology views of the JSON API).

    >>> view = {"name": "t", "status": "ACTIVE", "engine": "embedded", "uptime_secs": 1.0,
    ...         "tasks": [], "components": [{"name": "s", "kind": "spout", "emitted": 3}]}
    >>> print(prometheus_text([view]).splitlines()[8])
    squall_tuples_emitted_total{topology="t",component="s"} 3
    """
    views = list(views)
    lines: list[str] = [
        "# HELP squall_topology_info The topologies shown, with their engine and status (always 1).",
        "# TYPE squall_topology_info gauge"]
    for view in views:
        labels = [("topology", view["name"]), ("engine", view["engine"]), ("status", view["status"])]
        lines.append(f"squall_topology_info{_labels(labels)} 1")
    lines += ["# HELP squall_topology_uptime_seconds Seconds since the topology started.",
              "# TYPE squall_topology_uptime_seconds gauge"]
    for view in views:
        lines.append(f"squall_topology_uptime_seconds{_labels([('topology', view['name'])])} "
                     f"{_number(view['uptime_secs'])}")
    rows = [row for view in views for row in _rows(view)]
    for name, kind, help_text, key, scale in _FAMILIES:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, figures in rows:
            value = _value(figures, key)
            if value is not None:
                lines.append(f"{name}{_labels(labels)} {_number(value * scale)}")
    return "\n".join(lines) + "\n"
