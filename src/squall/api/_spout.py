"""Spouts: the components that bring data into a topology."""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar, Optional, Sequence

from squall.api._component import Component
from squall.topology import DEFAULT_STREAM, SPOUT


class Spout(Component):
    """Base class of spouts. Override ``next_tuple``; call ``emit`` from it.

    Example::

        class LineSpout(Spout):
            outputs = ["line"]

            def next_tuple(self):
                line = self.source.readline()
                if line:
                    self.emit([line], tup_id=self.offset)

    Callbacks (called by the host, on the task's main thread, one at a time):
    ``next_tuple`` (emit zero or more tuples; never block for long), ``ack(tup_id)``
    and ``fail(tup_id)`` (the tuple tree of an emit with that id completed or
    failed or timed out), ``activate``/``deactivate``. Note: on a spout ``ack`` and
    ``fail`` are *callbacks*; on a bolt they are *commands*.
    """

    _squall_kind: ClassVar[str] = SPOUT
    # tuples this spout gave up on (ReliableSpout: failed more than max_fails times);
    # the embedded engine reports it, and a run that gave up on any fails
    _squall_given_up: int = 0

    def next_tuple(self) -> None:
        """Emit the next tuple(s), if any are ready. Must not block for long."""

    def _squall_prepare(self, host: Any, conf: Any, context: Any) -> None:
        self._squall_bind_emit(host, Spout.emit)  # the host's compiled emit(values, tup_id=x); Spout.emit otherwise
        super()._squall_prepare(host, conf, context)

    def _squall_next_tuple(self) -> None:
        """What hosts call when the spout may emit (not blocked, below max.spout.pending)."""
        self.next_tuple()

    def ack(self, tup_id: Any) -> None:
        """Called when the tuple tree of the emit with ``tup_id`` was fully processed."""

    def fail(self, tup_id: Any) -> None:
        """Called when the tuple tree of ``tup_id`` failed or timed out."""

    def activate(self) -> None:
        """Called when the topology is activated; ``next_tuple`` calls follow."""

    def deactivate(self) -> None:
        """Called when the topology is deactivated; no ``next_tuple`` calls until reactivated."""

    def emit(
        self,
        values: Any,
        tup_id: Any = None,
        stream: Optional[str] = None,
        direct_task: Optional[int] = None,
        need_task_ids: bool = False,
    ) -> Optional[list[int]]:
        """Emit a tuple; with ``tup_id`` it is tracked and ``ack``/``fail`` will follow.

        Returns the ids of the receiving tasks when ``need_task_ids`` is True.
        """
        stream = stream or DEFAULT_STREAM
        if type(values) is not list or len(values) != self._stream_sizes.get(stream):
            values = self._squall_check_emit(stream, values)  # converts or raises the error
        if direct_task is not None:
            self._squall_check_direct(stream, direct_task)
        return self._host.emit(stream, values, (), tup_id, direct_task, need_task_ids)

    def emit_many(
        self,
        tuples: Sequence[Any],
        stream: Optional[str] = None,
        tup_ids: Optional[Sequence[Any]] = None,
        direct_task: Optional[int] = None,
        need_task_ids: bool = False,
    ) -> Optional[list[Optional[list[int]]]]:
        """Emit several tuples on one stream, the i-th with ``tup_ids[i]``: ``emit`` for each, in order.

        streamparse's ``emit_many`` signature; ``tup_ids`` None emits untracked tuples.
        The stream and direct task are checked once per call, so it costs less per
        tuple than a loop of ``emit``. A bad tuple raises as ``emit`` would, after the
        tuples before it were emitted. Returns one list of receiving task ids per
        tuple when ``need_task_ids`` is True.

        Example::

            def next_tuple(self):
                batch = self.source.read(100)
                self.emit_many([[line] for line in batch], tup_ids=[self.offset + i for i in range(len(batch))])
        """
        self._squall_check_many(tuples, tup_ids)
        if type(self).emit is not Spout.emit:  # a subclass's emit (ReliableSpout's) sees every tuple
            ids: Sequence[Any] = tup_ids if tup_ids is not None else [None] * len(tuples)
            results = [self.emit(values, tup_id=tup_id, stream=stream, direct_task=direct_task,
                                 need_task_ids=need_task_ids) for values, tup_id in zip(tuples, ids)]
            return results if need_task_ids else None
        stream = stream or DEFAULT_STREAM
        if direct_task is not None:
            self._squall_check_direct(stream, direct_task)
        return self._squall_emit_each(tuples, stream, (), tup_ids, direct_task, need_task_ids)


class ReliableSpout(Spout):
    """A spout that replays failed tuples, up to ``max_fails`` times each.

    Every emit with a ``tup_id`` is remembered until acked. A failed tuple is
    emitted again with the same values, stream and id; once it has failed more
    than ``max_fails`` times it is given up (logged at warn level, ``ack``/``fail``
    bookkeeping dropped). Subclasses overriding ``ack``/``fail`` must call
    ``super()``.

    A failed tuple is queued, not emitted from ``fail``: the host's next call for
    tuples emits queued replays first (before ``next_tuple``), so replays count
    against ``topology.max.spout.pending`` and wait while the spout is blocked,
    and memory stays bounded when trees time out faster than they complete.

    Example::

        class Numbers(ReliableSpout):
            outputs = ["n"]
            max_fails = 5

            def next_tuple(self):
                self.emit([self.n], tup_id=self.n)
                self.n += 1
    """

    max_fails: ClassVar[int] = 3

    def _squall_prepare(self, host: Any, conf: Any, context: Any) -> None:
        self.unacked: dict[Any, tuple[list[Any], Optional[str], Optional[int]]] = {}
        self.failures: dict[Any, int] = {}
        self._squall_replays: deque[Any] = deque()  # ids failed and waiting to be emitted again
        super()._squall_prepare(host, conf, context)

    def _squall_next_tuple(self) -> None:
        """Emit the oldest queued replay, if any; else call ``next_tuple``."""
        replays = self._squall_replays
        while replays:
            tup_id = replays.popleft()
            entry = self.unacked.get(tup_id)
            if entry is not None:  # still unacked (not given up meanwhile)
                values, stream, direct_task = entry
                self.emit(values, tup_id=tup_id, stream=stream, direct_task=direct_task)
                return
        self.next_tuple()

    def emit(
        self,
        values: Any,
        tup_id: Any = None,
        stream: Optional[str] = None,
        direct_task: Optional[int] = None,
        need_task_ids: bool = False,
    ) -> Optional[list[int]]:
        """Emit like ``Spout.emit``, remembering tracked tuples for replay."""
        if tup_id is None:
            return super().emit(values, tup_id, stream, direct_task, need_task_ids)
        self.unacked[tup_id] = (list(values), stream, direct_task)
        try:
            return super().emit(values, tup_id, stream, direct_task, need_task_ids)
        except BaseException:  # not emitted (bad values, stream or task): nothing to replay
            self.unacked.pop(tup_id, None)
            self.failures.pop(tup_id, None)
            raise

    def ack(self, tup_id: Any) -> None:
        """Forget an acked tuple."""
        self.unacked.pop(tup_id, None)
        self.failures.pop(tup_id, None)

    def fail(self, tup_id: Any) -> None:
        """Replay a failed tuple, or give up on it after ``max_fails`` replays."""
        entry = self.unacked.get(tup_id)
        if entry is None:
            return
        count = self.failures.get(tup_id, 0) + 1
        if count > self.max_fails:
            self.unacked.pop(tup_id, None)
            self.failures.pop(tup_id, None)
            self._squall_given_up += 1
            self.log(f"giving up on tuple {tup_id!r}: failed {count} times (max_fails={self.max_fails})", "warn")
            return
        self.failures[tup_id] = count
        self._squall_replays.append(tup_id)  # emitted by the next _squall_next_tuple
