"""Stream groupings: choose the receiving tasks of each emitted tuple, as Storm does.

Built once per producer task from the topology model; ``Router.route`` runs per emit.
Field hashes are deterministic (crc32 / blake2b of the msgpack-encoded key), so a key
always reaches the same task, in every process and every run.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import random
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import msgpack

from squall.topology import GroupingKind, TopologyModel, unknown_grouping
from squall.topology._grouping import direct_emit_error

_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Subscription:
    """One consumer of a stream: its tasks, grouping kind and key field positions."""

    consumer: str
    kind: GroupingKind
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
    choose.key_tasks = tuple(tasks)  # type: ignore[attr-defined]  # or index these by the CRC-32 of a str key's UTF-8
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
    # next(cycle, values): values is only the default of an exhausted iterator, and a cycle
    # over a non-empty list never ends; called from C (the hot emits), no Python frame per call
    return functools.partial(next, itertools.cycle(order))


class Router:
    """Route one producer task's emits to consumer task ids, as Storm's groupings do.

    One router per producer task, on every host that runs a topology (the engine's
    tasks, ``squall.testing``'s in-process runner). ``rng`` orders shuffle-like
    groupings (a seeded ``random.Random`` makes the choices reproducible); a
    partial_key grouping counts what this router sent to each task and picks the
    less loaded of a key's two candidates, the first on a tie (Storm's rule).
    Not thread-safe: the task host serialises calls.

    >>> from squall.topology import TopologyModel
    >>> Router.for_task(TopologyModel(name="t", components={}, config={}), {}, "c", random.Random(0)).functions
    {}
    """

    @classmethod
    def for_task(cls, model: TopologyModel, task_ids: Mapping[str, list[int]], component: str,
                 rng: random.Random) -> "Router":
        """Return the router of one task of ``component`` (``task_ids``: component -> task ids)."""
        comp = model.components.get(component)
        if comp is None:
            return cls(component, {}, set(), rng)
        direct = {name for name, stream in comp.streams.items() if stream.direct}
        return cls(component, subscriptions(model, task_ids, component), direct, rng)

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
                match sub.kind:
                    case GroupingKind.ALL:
                        fixed.extend(sub.tasks)
                    case GroupingKind.GLOBAL:
                        fixed.append(min(sub.tasks))
                    case GroupingKind.DIRECT:
                        direct.update(sub.tasks)
                    case GroupingKind.FIELDS:
                        choosers.append(_fields_chooser(sub))
                    case GroupingKind.PARTIAL_KEY:
                        choosers.append(_partial_key_chooser(sub))
                    case GroupingKind.SHUFFLE | GroupingKind.LOCAL_OR_SHUFFLE | GroupingKind.NONE:
                        choosers.append(_shuffle_chooser(sub, rng))  # every task is local here
                    case _:
                        unknown_grouping(sub.kind)
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
            raise direct_emit_error(self._component, stream, direct_task, None)
        allowed = self._direct_tasks[stream]
        if direct_task is None or direct_task not in allowed:
            raise direct_emit_error(self._component, stream, direct_task, allowed)
        return [direct_task]
