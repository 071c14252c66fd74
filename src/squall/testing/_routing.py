"""Deterministic stream routing for the in-process runner: every grouping, Storm's task ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from squall.engine._routing import key_hash, partial_key_hashes
from squall.errors import TopologyError
from squall.topology import Grouping, TopologyModel


@dataclass(frozen=True)
class _Subscription:
    consumer: str
    grouping: Grouping
    tasks: tuple[int, ...]
    key_positions: tuple[int, ...]


class Router:
    """Pick the receiving tasks of each emit, as Storm's groupings would.

    Shuffle-like groupings go round-robin per (source task, stream, consumer), so a
    run is reproducible; fields groupings hash the key values with the engine's stable hash, so a key
    reaches the same task here and on the embedded engine.

    >>> from squall.topology import TopologyModel
    >>> Router(TopologyModel(name="t", components={}, config={})).task_ids
    {}
    """

    def __init__(self, model: TopologyModel) -> None:
        self.model = model
        self.task_ids = model.task_ids()
        self._subs: dict[tuple[str, str], list[_Subscription]] = {}
        for comp in model.components.values():
            for stream in comp.streams:
                fields = comp.fields_of(stream)
                self._subs[(comp.name, stream)] = [
                    _Subscription(
                        consumer.name,
                        inp.grouping,
                        tuple(self.task_ids[consumer.name]),
                        tuple(fields.index(f) for f in inp.grouping.field_names),
                    )
                    for consumer, inp in model.consumers(comp.name, stream)
                ]
        self._rr: dict[tuple[int, str, str], int] = {}
        self._load: dict[int, int] = {}

    def route(
        self, source: str, source_task: int, stream: str, values: Sequence[Any], direct_task: Optional[int]
    ) -> list[tuple[str, int]]:
        """Return (consumer, task id) for every task that receives this emit."""
        declared = self.model.components[source].streams[stream]
        if declared.direct and direct_task is None:
            raise TopologyError(
                f"{source}: stream {stream!r} is direct: emit with direct_task=<task id> "
                f"(e.g. one of self.context.component_tasks('<consumer>'))"
            )
        if direct_task is not None and not declared.direct:
            raise TopologyError(
                f"{source}: emit with direct_task={direct_task} on stream {stream!r}, which is not "
                f"direct; declare it Stream([...], name={stream!r}, direct=True)"
            )
        targets: list[tuple[str, int]] = []
        for sub in self._subs.get((source, stream), ()):
            for task in self._pick(sub, source_task, stream, values, direct_task):
                self._load[task] = self._load.get(task, 0) + 1
                targets.append((sub.consumer, task))
        return targets

    def _pick(
        self, sub: _Subscription, source_task: int, stream: str, values: Sequence[Any], direct_task: Optional[int]
    ) -> Sequence[int]:
        kind, tasks = sub.grouping.kind, sub.tasks
        if kind == "all":
            return tasks
        if kind == "global":
            return tasks[:1]
        if kind == "direct":
            return [direct_task] if direct_task in tasks else []
        if kind == "fields":
            return [tasks[key_hash(values, sub.key_positions) % len(tasks)]]
        if kind == "partial_key":
            first_hash, second_hash = partial_key_hashes(values, sub.key_positions)
            first, second = tasks[first_hash % len(tasks)], tasks[second_hash % len(tasks)]
            return [min((first, second), key=lambda t: (self._load.get(t, 0), t))]
        slot = (source_task, stream, sub.consumer)  # shuffle, local_or_shuffle, none
        index = self._rr.get(slot, 0)
        self._rr[slot] = index + 1
        return [tasks[index % len(tasks)]]
