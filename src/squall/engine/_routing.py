"""Stream groupings: choose the receiving tasks of each emitted tuple, as Storm does.

Built once per producer task from the topology model; ``Router.route`` runs per emit.
Field hashes are deterministic (crc32 / blake2b of the msgpack-encoded key), so a key
always reaches the same task, in every process and every run.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import msgpack

from squall.errors import TopologyError
from squall.topology import TopologyModel

_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Subscription:
    """One consumer of a stream: its tasks, grouping kind and key field positions."""

    consumer: str
    kind: str
    tasks: tuple[int, ...]
    key_index: tuple[int, ...]


def subscriptions(model: TopologyModel, task_ids: Mapping[str, list[int]], component: str) -> dict[str, list[Subscription]]:
    """Return, for each output stream of ``component``, the subscriptions reading it."""
    comp = model.components[component]
    result: dict[str, list[Subscription]] = {}
    for stream_name, stream in comp.streams.items():
        subs = []
        for consumer, inp in model.consumers(component, stream_name):
            index = tuple(stream.fields.index(f) for f in inp.grouping.field_names)
            subs.append(Subscription(consumer.name, inp.grouping.kind, tuple(task_ids[consumer.name]), index))
        result[stream_name] = subs
    return result


def _key_bytes(values: Sequence[Any], index: tuple[int, ...]) -> bytes:
    if len(index) == 1:
        key: bytes = msgpack.packb(values[index[0]], use_bin_type=True, default=repr)
        return key
    key = msgpack.packb([values[i] for i in index], use_bin_type=True, default=repr)
    return key


def key_hash(values: Sequence[Any], index: tuple[int, ...]) -> int:
    """Return the stable hash of the key fields at ``index``: a fields grouping's choice.

    The task is ``tasks[key_hash(values, index) % len(tasks)]``, in every process and
    run; the in-process test runner uses this too, so both pick the same task.

    >>> key_hash(["dog", 1], (0,)) == key_hash(["dog", 2], (0,))
    True
    """
    if len(index) == 1 and type(values[index[0]]) is str:
        return zlib.crc32(values[index[0]].encode("utf-8", "surrogatepass"))
    return zlib.crc32(_key_bytes(values, index))


def partial_key_hashes(values: Sequence[Any], index: tuple[int, ...]) -> tuple[int, int]:
    """Return the two hashes whose tasks are a partial-key grouping's candidates."""
    digest = hashlib.blake2b(_key_bytes(values, index), digest_size=8).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:], "little")


def _fields_chooser(sub: Subscription) -> Callable[[Sequence[Any]], int]:
    tasks, index, n = sub.tasks, sub.key_index, len(sub.tasks)
    if len(index) != 1:
        return lambda values: tasks[zlib.crc32(_key_bytes(values, index)) % n]
    position = index[0]
    cache: dict[str, int] = {}  # str key -> task: one dict lookup per tuple for hot keys
    get = cache.get

    def choose(values: Sequence[Any]) -> int:
        key = values[position]
        if type(key) is str:
            task = get(key)
            if task is None:
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                task = cache[key] = tasks[zlib.crc32(key.encode("utf-8", "surrogatepass")) % n]
            return task
        return tasks[zlib.crc32(_key_bytes(values, index)) % n]

    choose.key_cache = (position, cache)  # type: ignore[attr-defined]  # callers may look hot keys up inline
    return choose


def _partial_key_chooser(sub: Subscription) -> Callable[[Sequence[Any]], int]:
    tasks, index, n = sub.tasks, sub.key_index, len(sub.tasks)
    sent = {t: 0 for t in tasks}

    def choose(values: Sequence[Any]) -> int:
        first_hash, second_hash = partial_key_hashes(values, index)
        first = tasks[first_hash % n]
        second = tasks[second_hash % n]
        task = first if sent[first] <= sent[second] else second
        sent[task] += 1
        return task

    return choose


def _shuffle_chooser(sub: Subscription, rng: random.Random) -> Callable[[Sequence[Any]], int]:
    if len(sub.tasks) == 1:
        only = sub.tasks[0]
        return lambda values: only
    order = list(sub.tasks)
    rng.shuffle(order)
    cycle = itertools.cycle(order)
    return lambda values: next(cycle)


class Router:
    """Route one producer task's emits to consumer task ids.

    Not thread-safe: the task host serialises calls.
    """

    def __init__(self, component: str, subs: Mapping[str, list[Subscription]], direct_streams: set[str], rng: random.Random) -> None:
        self._component = component
        self._direct_streams = direct_streams
        self._choosers: dict[str, list[Callable[[Sequence[Any]], int]]] = {}
        self._fixed: dict[str, list[int]] = {}
        self._direct_tasks: dict[str, frozenset[int]] = {}
        for stream, stream_subs in subs.items():
            choosers: list[Callable[[Sequence[Any]], int]] = []
            fixed: list[int] = []
            direct: set[int] = set()
            for sub in stream_subs:
                if sub.kind == "all":
                    fixed.extend(sub.tasks)
                elif sub.kind == "global":
                    fixed.append(min(sub.tasks))
                elif sub.kind == "direct":
                    direct.update(sub.tasks)
                elif sub.kind == "fields":
                    choosers.append(_fields_chooser(sub))
                elif sub.kind == "partial_key":
                    choosers.append(_partial_key_chooser(sub))
                else:  # shuffle, local_or_shuffle, none
                    choosers.append(_shuffle_chooser(sub, rng))
            self._choosers[stream] = choosers
            self._fixed[stream] = fixed
            self._direct_tasks[stream] = frozenset(direct)
        self.functions = {stream: self._compile(stream) for stream in subs}

    def single_chooser(self, stream: str) -> Optional[Callable[[Sequence[Any]], int]]:
        """Return ``choose(values) -> task`` when every non-direct emit on ``stream`` reaches one task.

        None when the stream is direct, has several subscribers, or none.
        """
        if stream in self._direct_streams:
            return None
        choosers, fixed = self._choosers[stream], self._fixed[stream]
        if len(choosers) == 1 and not fixed:
            return choosers[0]
        if not choosers and len(fixed) == 1:
            only = fixed[0]
            return lambda values: only
        return None

    def route(self, stream: str, values: Sequence[Any], direct_task: Optional[int]) -> list[int]:
        """Return the receiving task ids of one tuple (a new list, possibly empty)."""
        return self.functions[stream](values, direct_task)

    def _compile(self, stream: str) -> Callable[[Sequence[Any], Optional[int]], list[int]]:
        """Return the fastest routing function for one stream."""
        if stream in self._direct_streams:
            return lambda values, direct_task: self._route_direct(stream, direct_task)
        choosers, fixed = self._choosers[stream], self._fixed[stream]

        def refuse(values: Sequence[Any], direct_task: Optional[int]) -> list[int]:
            return self._route_direct(stream, direct_task)

        if len(choosers) == 1 and not fixed:
            choose = choosers[0]
            return lambda values, direct_task: [choose(values)] if direct_task is None else refuse(values, direct_task)

        def route(values: Sequence[Any], direct_task: Optional[int]) -> list[int]:
            if direct_task is not None:
                return refuse(values, direct_task)
            targets = [choose(values) for choose in choosers]
            targets.extend(fixed)
            return targets

        return route

    def _route_direct(self, stream: str, direct_task: Optional[int]) -> list[int]:
        if stream not in self._direct_streams:
            raise TopologyError(
                f"{self._component}: emit(direct_task={direct_task}) on stream {stream!r}, which is not "
                f"direct; declare it Stream([...], name={stream!r}, direct=True) and subscribe with Grouping.DIRECT"
            )
        if direct_task is None:
            raise TopologyError(
                f"{self._component}: stream {stream!r} is direct: emits on it need direct_task=<task id>"
            )
        allowed = self._direct_tasks[stream]
        if direct_task not in allowed:
            raise TopologyError(
                f"{self._component}: emit(direct_task={direct_task}) on stream {stream!r}: task {direct_task} "
                f"does not read that stream with Grouping.DIRECT (tasks that do: {sorted(allowed) or 'none'})"
            )
        return [direct_task]
