"""Storm's XOR tuple-tree tracking, run by each spout task for its own root tuples.

A spout emit with an id gets a random root id (the low 16 bits name the spout task,
so bolts know where to send acks) and one random 64-bit edge id per receiving task;
the tracker starts the root at the XOR of those edges. Every anchored bolt emit adds
a new edge to the tree, every ack XORs the edge of the acked tuple with the edges of
its children: when the value reaches zero the whole tree was processed.

The tree arithmetic lives here (``new_root``, ``anchored_child``, ``ack_pairs``,
``SpoutTracker``) with the RNG injected: ``squall.testing``'s in-process runner calls
these functions with a seeded RNG; the engine's collector inlines the same steps on
its hot path.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Optional, Sequence

from squall.errors import EngineError

TASK_BITS = 16
TASK_MASK = (1 << TASK_BITS) - 1
_BUCKETS_PER_OCTAVE = 8
_MIN_LOG = -10 * _BUCKETS_PER_OCTAVE  # ~1 microsecond


Rand = Callable[[int], int]  # random.Random.getrandbits of the host's (seeded or urandom) RNG


def new_root(rand: Rand, task_id: int) -> int:
    """Return a fresh root id minted by spout task ``task_id`` (its low bits name the task)."""
    return ((rand(46) + 1) << TASK_BITS) | task_id


def new_edge(rand: Rand) -> int:
    """Return a fresh edge id: 64 random bits, odd (``| 1``) so it is never 0."""
    return rand(64) | 1


def anchored_child(entries: Sequence[list[Any]], rand: Rand) -> tuple[Any, int]:
    """Add one child tuple to the trees of the input ``entries``; return its record's (root, edge) slots.

    Each entry is an input's ``[roots, value]`` (see ``ack_pairs``): a fresh edge per
    anchor is XORed into its value. The child gets ``(root, edge)`` when it belongs to
    one tree, else ``([root, edge, ...], 0)``; the receiving task stores either as
    its input entry. The embedded engine's collector calls this for emits off its hot
    path; the hot path (``_hotpath``, ``speedups_c/bolt_emit.c``) inlines the one-input case.
    """
    tree: dict[int, int] = {}
    for entry in entries:
        edge = rand(64) | 1
        entry[1] ^= edge
        roots = entry[0]
        if type(roots) is int:
            tree[roots] = tree.get(roots, 0) ^ edge
        else:
            for i in range(0, len(roots), 2):
                tree[roots[i]] = tree.get(roots[i], 0) ^ edge
    if len(tree) == 1:
        ((root, edge),) = tree.items()
        return root, edge
    return list(itertools.chain.from_iterable(tree.items())), 0


def ack_pairs(entry: Sequence[Any]) -> list[tuple[int, int]]:
    """Return the ``(root, xor)`` an ack of the input ``entry`` sends to each root's spout task.

    ``entry`` is ``[root, edge ^ children]`` for one tree, or ``[[root, edge, ...],
    children]`` for several (``children``: the XOR of its anchored children's edges).

    >>> ack_pairs([5, 12]), ack_pairs([[5, 3, 6, 4], 1])
    ([(5, 12)], [(5, 2), (6, 5)])
    """
    roots, value = entry[0], entry[1]
    if type(roots) is int:
        return [(roots, value)]
    return [(roots[i], roots[i + 1] ^ value) for i in range(0, len(roots), 2)]


def entry_roots(entry: Sequence[Any]) -> list[int]:
    """Return the roots of the trees an input ``entry`` belongs to (what failing it fails)."""
    roots = entry[0]
    return [roots] if type(roots) is int else list(roots[::2])


def unknown_input_error(task: str, what: str, tup_id: Any) -> EngineError:
    """Return the error of an ack or fail of an id that is not a pending input of ``task``.

    >>> str(unknown_input_error("count[3]", "ack", 7))[:43]
    'count[3]: ack() of unknown tuple id 7 (alre'
    """
    return EngineError(
        f"{task}: {what}() of unknown tuple id {tup_id!r} "
        f"(already acked or failed, or not an input of this task); {what} each input tuple once"
    )


def unknown_anchor_error(task: str, anchor: Any) -> EngineError:
    """Return the error of an emit anchored to an id that is not a pending input of ``task``."""
    return EngineError(
        f"{task}: emit anchored to unknown tuple id {anchor!r} "
        "(already acked or failed, or not an input of this task); anchor to live input tuples"
    )


class SpoutTracker:
    """Pending tuple trees of one spout task: XOR values, spout message ids, start times.

    The hot paths work on ``pending`` directly: the collector's spout emit mints the
    root and starts the tree, the task host XORs acks in; this class keeps the rest.
    """

    __slots__ = ("task_id", "pending", "timeout", "latency")

    def __init__(self, task_id: int, timeout: float) -> None:
        if task_id > TASK_MASK:
            raise ValueError(f"task id {task_id} too large for the embedded engine (max {TASK_MASK})")
        self.task_id = task_id
        self.timeout = timeout
        self.pending: dict[int, list[Any]] = {}  # root -> [xor, msg_id, start]
        self.latency = LatencyStats()

    def start(self, root: int, xor: int, msg_id: Any, now: float) -> None:
        """Track a new tree: ``xor`` is the XOR of the edges sent with the spout tuple."""
        self.pending[root] = [xor, msg_id, now]

    def ack(self, root: int, xor: int) -> Optional[Any]:
        """XOR one ack into a tree; return its message id when the tree is complete, else None.

        Acks of unknown roots (failed or timed out trees) are ignored, as Storm's acker does.
        """
        entry = self.pending.get(root)
        if entry is None:
            return None
        entry[0] ^= xor
        if entry[0]:
            return None
        del self.pending[root]
        return entry[1]

    def fail(self, root: int) -> Optional[Any]:
        """Drop a failed tree; return its message id (None when unknown)."""
        entry = self.pending.pop(root, None)
        return None if entry is None else entry[1]

    def expired(self, now: float) -> list[Any]:
        """Remove and return the message ids of trees older than the timeout."""
        limit = now - self.timeout
        expired_roots = []
        for root, entry in self.pending.items():
            if entry[2] > limit:
                break
            expired_roots.append(root)
        return [self.pending.pop(root)[1] for root in expired_roots]


class LatencyStats:
    """A log-scale latency histogram (8 buckets per doubling): count, sum, percentiles."""

    __slots__ = ("count", "total", "buckets")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.buckets: dict[int, int] = {}

    def add(self, ms: float) -> None:
        """Record one latency in milliseconds."""
        self.count += 1
        self.total += ms
        index = int(math.log2(ms) * _BUCKETS_PER_OCTAVE) if ms > 0.001 else _MIN_LOG
        self.buckets[index] = self.buckets.get(index, 0) + 1

    def merge(self, count: int, total: float, buckets: dict[int, int]) -> None:
        """Add another histogram's data."""
        self.count += count
        self.total += total
        for index, n in buckets.items():
            self.buckets[int(index)] = self.buckets.get(int(index), 0) + n

    def percentile(self, fraction: float) -> float:
        """Return the approximate latency (ms) below which ``fraction`` of samples fall."""
        if not self.count:
            return 0.0
        rank = fraction * self.count
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return 2 ** ((index + 0.5) / _BUCKETS_PER_OCTAVE)
        return 2 ** ((max(self.buckets) + 0.5) / _BUCKETS_PER_OCTAVE)

    @property
    def mean(self) -> float:
        """The mean latency in ms (0 without samples)."""
        return self.total / self.count if self.count else 0.0
