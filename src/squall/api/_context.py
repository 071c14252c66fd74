"""The topology context a task sees: who it is, who its peers are, what streams carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from squall.topology import TopologyModel


@dataclass(frozen=True)
class TopologyContext:
    """What a task knows about its place in the topology.

    Built from Storm's multi-lang handshake (``from_storm``) or from a topology
    model (``for_task``). ``context["taskid"]``-style access to the raw Storm keys
    keeps working for code ported from pystorm.

    >>> ctx = TopologyContext.from_storm({"taskid": 3, "componentid": "split",
    ...     "task->component": {"3": "split"}})
    >>> ctx.task_id, ctx.component_tasks("split")
    (3, [3])
    """

    task_id: int
    component_id: str
    task_to_component: Mapping[int, str]
    output_fields: Mapping[str, tuple[str, ...]]
    source_fields: Mapping[str, Mapping[str, tuple[str, ...]]]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_storm(cls, raw: Mapping[str, Any]) -> "TopologyContext":
        """Parse the ``context`` object of Storm's multi-lang handshake."""
        return cls(
            task_id=int(raw.get("taskid", -1)),
            component_id=str(raw.get("componentid", "")),
            task_to_component={int(k): v for k, v in raw.get("task->component", {}).items()},
            output_fields={s: tuple(f) for s, f in raw.get("stream->outputfields", {}).items()},
            source_fields={
                src: {s: tuple(f) for s, f in streams.items()}
                for src, streams in raw.get("source->stream->fields", {}).items()
            },
            raw=dict(raw),
        )

    @classmethod
    def for_task(
        cls, model: TopologyModel, component: str, task_id: int, task_ids: Mapping[str, list[int]]
    ) -> "TopologyContext":
        """Build the context of one task of ``component`` from a topology model."""
        return cls.from_storm(storm_context(model, component, task_id, task_ids))

    def component_tasks(self, component: str) -> list[int]:
        """Return the sorted task ids of ``component``."""
        return sorted(t for t, c in self.task_to_component.items() if c == component)

    def direct_readers(self, stream: str) -> Optional[frozenset[int]]:
        """Return the tasks that read ``stream`` with ``Grouping.DIRECT``.

        An empty set when the stream's readers use other groupings or there are
        none; None when this context does not know the wiring (a hand-made one).
        """
        targets = self.raw.get("stream->target->grouping")
        if targets is None:
            return None
        direct = {c for c, g in targets.get(stream, {}).items() if str(g.get("type", "")).upper() == "DIRECT"}
        return frozenset(t for t, c in self.task_to_component.items() if c in direct)

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Read a raw Storm context key, as pystorm code does."""
        return self.raw.get(key, default)


def storm_context(
    model: TopologyModel, component: str, task_id: int, task_ids: Mapping[str, list[int]]
) -> dict[str, Any]:
    """Return the context dict Storm would send to ``task_id`` in the multi-lang handshake."""
    comp = model.components[component]
    targets: dict[str, dict[str, Any]] = {}
    for stream in comp.streams:
        for consumer, inp in model.consumers(component, stream):
            grouping: dict[str, Any] = {"type": inp.grouping.kind.upper()}
            if inp.grouping.field_names:
                grouping["fields"] = list(inp.grouping.field_names)
            targets.setdefault(stream, {})[consumer.name] = grouping
    sources: dict[str, dict[str, Any]] = {}
    source_fields: dict[str, dict[str, list[str]]] = {}
    for inp in comp.inputs:
        grouping = {"type": inp.grouping.kind.upper()}
        if inp.grouping.field_names:
            grouping["fields"] = list(inp.grouping.field_names)
        sources.setdefault(inp.source, {})[inp.stream] = grouping
        source_fields.setdefault(inp.source, {})[inp.stream] = list(
            model.components[inp.source].fields_of(inp.stream)
        )
    return {
        "taskid": task_id,
        "componentid": component,
        "task->component": {str(t): name for name, ids in task_ids.items() for t in ids},
        "streams": list(comp.streams),
        "stream->outputfields": {s.name: list(s.fields) for s in comp.streams.values()},
        "stream->target->grouping": targets,
        "source->stream->grouping": sources,
        "source->stream->fields": source_fields,
    }
