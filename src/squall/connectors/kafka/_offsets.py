"""At-least-once offset bookkeeping for a Kafka spout: what may be committed, what to retry.

Pure data, no I/O and no clock of its own (callers pass ``now``), so every rule is tested
on plain numbers. The rules are storm-kafka-client's:

* an offset is *done* when its tuple tree was acked, or when it was given up (retries
  exhausted, or rejected by ``to_values``) and dead-lettered or logged;
* the committable position of a partition is one past the longest run of done offsets
  that starts at the oldest offset still tracked; offsets Kafka never returned (compacted
  away, transaction markers) are skipped, since the spout only ever tracks what it polled;
* a failed offset is retried after an exponential backoff, at most ``max_retries`` times;
* a partition whose tracked (uncommitted) offsets reach ``max_uncommitted`` is paused.

>>> book = OffsetBook(max_retries=2, backoff=Backoff(0.1, 1.0))
>>> book.track(("t", 0), 5, ["a"]); book.track(("t", 0), 6, ["b"])
>>> book.ack(("t", 0), 6), book.committable()
(True, {})
>>> book.ack(("t", 0), 5), book.committable()
(True, {('t', 0): 7})
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from typing import Any, Hashable, Iterator

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class Backoff:
    """Exponential retry delays: ``initial * 2**(n-1)`` seconds for the n-th retry, capped.

    >>> [Backoff(0.5, 3.0).delay(n) for n in (1, 2, 3, 4)]
    [0.5, 1.0, 2.0, 3.0]
    """

    initial: float
    maximum: float

    def delay(self, attempt: int) -> float:
        """Return the delay before retry number ``attempt`` (1 for the first retry)."""
        return min(self.maximum, self.initial * (2.0 ** (attempt - 1)))


class _Partition:
    """The tracked offsets of one partition, oldest first."""

    __slots__ = ("tracked", "done", "values", "failures", "last_committed", "position")

    def __init__(self) -> None:
        self.tracked: deque[int] = deque()  # polled and not yet committable, in poll order
        self.done: set[int] = set()  # tracked offsets whose tuple tree is finished
        self.values: dict[int, Any] = {}  # in-flight offsets -> values, kept for retries
        self.failures: dict[int, int] = {}  # offset -> failures so far
        self.last_committed: int | None = None  # the position the broker confirmed
        self.position: int | None = None  # one past the done prefix (what to commit)

    def advance(self) -> None:
        tracked, done = self.tracked, self.done
        while tracked and tracked[0] in done:
            offset = tracked.popleft()
            done.discard(offset)
            self.position = offset + 1


class OffsetBook:
    """Per-partition offsets a spout emitted, acked, failed and may commit.

    One instance per spout task, used from the task's main thread only. Offsets of a
    partition must be tracked in increasing order (the order Kafka returns them).
    ``ack``/``fail`` of an offset that is not in flight (a partition revoked since, a
    duplicate) are ignored, as Storm's spout ignores them.
    """

    def __init__(self, max_retries: int, backoff: Backoff) -> None:
        self.max_retries = max_retries
        self.backoff = backoff
        self._parts: dict[Hashable, _Partition] = {}
        self._retries: list[tuple[float, int, Hashable, int]] = []  # (due, seq, tp, offset) heap
        self._seq = 0

    # -- the life of an offset ---------------------------------------------------------

    def track(self, tp: TopicPartition, offset: int, values: Any) -> None:
        """Record that ``offset`` of ``tp`` was polled and is being emitted with ``values``."""
        part = self._parts.get(tp)
        if part is None:
            part = self._parts[tp] = _Partition()
        part.tracked.append(offset)
        part.values[offset] = values

    def ack(self, tp: TopicPartition, offset: int) -> bool:
        """Mark ``offset`` done after its tree was acked; return False if it was not in flight."""
        part = self._parts.get(tp)
        if part is None or part.values.pop(offset, _MISSING) is _MISSING:
            return False
        part.failures.pop(offset, None)
        part.done.add(offset)
        if part.tracked[0] == offset:
            part.advance()
        return True

    def fail(self, tp: TopicPartition, offset: int, now: float) -> str:
        """Handle a failed tree: ``"retry"`` (scheduled), ``"give-up"`` or ``"unknown"``.

        After ``give-up`` the offset stays in flight until the caller calls
        :meth:`give_up_done` (once the record was dead-lettered or logged), so nothing
        is committed past a record whose fate is not yet settled.
        """
        part = self._parts.get(tp)
        if part is None or offset not in part.values:
            return "unknown"
        count = part.failures.get(offset, 0) + 1
        part.failures[offset] = count
        if count > self.max_retries:
            return "give-up"
        self._seq += 1
        heapq.heappush(self._retries, (now + self.backoff.delay(count), self._seq, tp, offset))
        return "retry"

    def give_up_done(self, tp: TopicPartition, offset: int) -> None:
        """Mark a given-up (dead-lettered or logged) offset done, so commits move past it."""
        self.ack(tp, offset)

    def due_retries(self, now: float) -> Iterator[tuple[TopicPartition, int, Any]]:
        """Yield ``(tp, offset, values)`` of every retry due at ``now``, removing it from the queue."""
        heap = self._retries
        while heap and heap[0][0] <= now:
            _due, _seq, tp, offset = heapq.heappop(heap)
            part = self._parts.get(tp)
            if part is not None and offset in part.values:
                yield tp, offset, part.values[offset]  # type: ignore[misc]

    def payload(self, tp: TopicPartition, offset: int) -> Any:
        """Return what :meth:`track` stored for an in-flight offset, or None."""
        part = self._parts.get(tp)
        return part.values.get(offset) if part is not None else None

    def failures(self, tp: TopicPartition, offset: int) -> int:
        """Return how often ``offset`` failed so far (0 if never or not in flight)."""
        part = self._parts.get(tp)
        return part.failures.get(offset, 0) if part is not None else 0

    # -- commits and flow control ------------------------------------------------------

    def committable(self) -> dict[TopicPartition, int]:
        """Return ``{tp: position}`` for partitions whose position moved past the last commit."""
        return {
            tp: part.position  # type: ignore[misc]
            for tp, part in self._parts.items()
            if part.position is not None and part.position != part.last_committed
        }

    def committed(self, tp: TopicPartition, position: int) -> None:
        """Record that the broker confirmed the commit of ``position`` for ``tp``."""
        part = self._parts.get(tp)
        if part is not None and (part.last_committed is None or position > part.last_committed):
            part.last_committed = position

    def last_committed(self, tp: TopicPartition) -> int | None:
        """Return the position the broker last confirmed for ``tp`` (None: none yet)."""
        part = self._parts.get(tp)
        return part.last_committed if part is not None else None

    def uncommitted(self, tp: TopicPartition) -> int:
        """Return how many offsets of ``tp`` are tracked and not yet committable."""
        part = self._parts.get(tp)
        return len(part.tracked) if part is not None else 0

    def in_flight(self) -> int:
        """Return how many offsets, over all partitions, wait for their tree."""
        return sum(len(part.values) for part in self._parts.values())

    def forget(self, tps: list[TopicPartition]) -> None:
        """Drop every offset of ``tps`` (revoked partitions: their new owner replays them)."""
        for tp in tps:
            self._parts.pop(tp, None)

    def partitions(self) -> list[TopicPartition]:
        """Return the partitions with tracked state."""
        return list(self._parts)  # type: ignore[arg-type]


_MISSING = object()
