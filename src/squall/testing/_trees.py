"""Tuple trees for the in-process runner: the engine's XOR arithmetic with a seeded RNG.

``Trees`` keeps what the engine keeps per task (input entries, one ``SpoutTracker``
per spout task) in one place, because every task lives in this process, and calls
``squall.engine._acking`` for every step, so a tree completes or fails here exactly
when it would on the embedded engine.
"""

from __future__ import annotations

import random
from typing import Any, Iterable, Optional, Sequence

from squall.engine._acking import (
    TASK_MASK,
    SpoutTracker,
    ack_pairs,
    anchored_child,
    entry_roots,
    new_edge,
    new_root,
    unknown_anchor_error,
    unknown_input_error,
)

Completed = list[tuple[int, Any]]  # (spout task, message id) of trees that just completed or failed
Slots = tuple[Any, int]  # a record's (root, edge) slots: root None when untracked


class Trees:
    """Pending inputs of every task and pending trees of every spout task.

    Not thread-safe: the in-process runner calls it from one thread.

    >>> import random
    >>> trees = Trees([1], random.Random(0))
    >>> (slots,) = trees.spout_emit(1, "m", 1)
    >>> trees.deliver(10, 2, slots)
    >>> trees.ack(2, 10, "b[2]")
    [(1, 'm')]
    """

    def __init__(self, spout_tasks: Iterable[int], rng: random.Random) -> None:
        self._rand = rng.getrandbits
        self._trackers = {task: SpoutTracker(task, float("inf")) for task in spout_tasks}
        self._inputs: dict[int, tuple[int, Optional[list[Any]]]] = {}  # handle -> (task, entry)

    def spout_emit(self, task: int, tup_id: Any, targets: int) -> list[Slots]:
        """Start a tree for a spout emit to ``targets`` tasks (none when untracked); return each record's slots."""
        if tup_id is None or not targets:
            return [(None, 0)] * targets
        edges = [new_edge(self._rand) for _ in range(targets)]
        root = new_root(self._rand, task)
        xor = 0
        for edge in edges:
            xor ^= edge
        self._trackers[task].start(root, xor, tup_id, 0.0)
        return [(root, edge) for edge in edges]

    def bolt_emit(self, task: int, where: str, anchors: Sequence[Any], targets: int) -> list[Slots]:
        """Add a bolt emit to ``targets`` tasks to the trees of ``anchors``; return each record's slots."""
        entries = []
        for anchor in anchors:
            if anchor is None:
                continue  # an untracked input (a tick) adds nothing to a tree
            held = self._inputs.get(anchor) if type(anchor) is int else None
            if held is None or held[0] != task:
                raise unknown_anchor_error(where, anchor)
            if held[1] is not None:
                entries.append(held[1])
        if not entries:
            return [(None, 0)] * targets
        return [anchored_child(entries, self._rand) for _ in range(targets)]

    def deliver(self, handle: int, task: int, slots: Slots) -> None:
        """Register a delivered tuple as an input of ``task`` under ``handle``."""
        root, edge = slots
        self._inputs[handle] = (task, None if root is None else [root, edge])

    def ack(self, task: int, handle: Any, where: str) -> Completed:
        """Ack an input of ``task``; return the trees that completed."""
        entry = self._take(task, handle, where, "ack")
        if entry is None:
            return []
        done = []
        for root, xor in ack_pairs(entry):
            spout_task = root & TASK_MASK
            msg_id = self._trackers[spout_task].ack(root, xor)
            if msg_id is not None:
                done.append((spout_task, msg_id))
        return done

    def fail(self, task: int, handle: Any, where: str) -> Completed:
        """Fail an input of ``task``; return the trees that failed."""
        entry = self._take(task, handle, where, "fail")
        return [] if entry is None else self.fail_roots(entry_roots(entry))

    def fail_held(self, task: int) -> Completed:
        """Fail every input ``task`` still holds (it crashed); return the trees that failed."""
        handles = [h for h, (owner, _) in self._inputs.items() if owner == task]
        failed: Completed = []
        for handle in handles:
            _, entry = self._inputs.pop(handle)
            if entry is not None:
                failed += self.fail_roots(entry_roots(entry))
        return failed

    def fail_roots(self, roots: Iterable[int]) -> Completed:
        """Fail the trees ``roots``; return those that were still pending."""
        failed = []
        for root in roots:
            msg_id = self._trackers[root & TASK_MASK].fail(root)
            if msg_id is not None:
                failed.append((root & TASK_MASK, msg_id))
        return failed

    def roots_of(self, slots: Sequence[Slots]) -> list[int]:
        """Return the roots the records with ``slots`` belong to."""
        roots: dict[int, None] = {}
        for root, edge in slots:
            if root is not None:
                roots.update(dict.fromkeys(entry_roots([root, edge])))
        return list(roots)

    def holds(self, tasks: set[int]) -> bool:
        """Whether any of ``tasks`` holds an input not yet acked or failed."""
        return any(owner in tasks for owner, _ in self._inputs.values())

    def size(self) -> tuple[int, int]:
        """Return (pending inputs, pending trees): changes mean progress."""
        return len(self._inputs), sum(len(t.pending) for t in self._trackers.values())

    def pending(self) -> dict[int, list[Any]]:
        """Return the message ids of the open trees, per spout task, oldest first."""
        return {task: [entry[1] for entry in t.pending.values()] for task, t in self._trackers.items() if t.pending}

    def _take(self, task: int, handle: Any, where: str, what: str) -> Optional[list[Any]]:
        if handle is None:
            return None  # an untracked input (a tick)
        held = self._inputs.get(handle) if type(handle) is int else None
        if held is None or held[0] != task:
            raise unknown_input_error(where, what, handle)
        del self._inputs[handle]
        return held[1]
