"""A task's output collector: emits, input tuples, acks and fails, as Storm's XOR trees.

``Collector`` is the half of the task host that user code calls (``emit``, ``ack``,
``fail``) plus the bookkeeping those calls need:

* every received tuple that belongs to a tree gets an *input entry*
  ``(roots, value)`` (a list from its first anchored emit on): for one root, ``roots`` is the root id and ``value`` its edge
  XORed with the edges of the children emitted so far (so acking sends ``value``);
  for several roots, ``roots`` is a flat ``[root, edge, ...]`` list and ``value`` the
  XOR of the children's edges (acking sends ``edge ^ value`` for each root);
* acks are XORed per root until the next flush (a count bolt acking the 5 words of
  one line sends one value for that line, not 5), then sent to the owning spout task;
* emitted tuples become 4-slot records ``stream index, values, root, edge`` in the
  per-destination ``OutPort`` (``root`` None: untracked; a list: several roots).

All public methods take the lock: user threads may emit, ack and fail too.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from typing import Any, Callable, Optional, Protocol, Sequence

from squall.engine import _hotpath
from squall.engine._acking import (
    TASK_BITS,
    TASK_MASK,
    SpoutTracker,
    anchored_child,
    unknown_anchor_error,
    unknown_input_error,
)
from squall.engine._carry import first_uncarried, uncarried_message
from squall.engine._routing import Router
from squall.engine._transport import ACKS, DATA, RECORD_WIDTH, OutPort
from squall.engine._wiring import TaskPlan, Wiring
from squall.errors import TopologyError

_get_ident = threading.get_ident
_NOT_HOT = (object(), None)
_UNTRACKED = [None, 0]  # the hot entry of an untracked input: its children are untracked too (never mutated)


class EmitFn(Protocol):
    """``ComponentHost.emit``'s signature: what ``Collector.emit`` holds."""

    def __call__(
        self,
        stream: str,
        values: list[Any],
        anchors: Sequence[Any],
        tup_id: Any,
        direct_task: Optional[int],
        need_task_ids: bool,
    ) -> Optional[list[int]]: ...


class Collector:
    """Route emits into output ports, track input tuples, aggregate acks (one per task).

    Owned by the task host (``TaskHost.collector``), which passes ``wake`` (wake the
    main loop: called after an emit, ack or fail from a thread other than the one that
    built the collector) and ``report_uncarried`` (a tuple the engine could not carry:
    its tree was failed; report why).
    """

    emit: EmitFn
    """Route one tuple into the output buffers of its receiving tasks (``ComponentHost.emit``).

    The bolt emit (a compiled closure, see ``_compile_bolt_emit``) or ``_spout_emit``,
    chosen once by the task's kind."""

    def __init__(
        self,
        plan: TaskPlan,
        wiring: Wiring,
        batch: int,
        timeout: float,
        pack: Any,
        *,
        wake: Callable[[], None],
        report_uncarried: Callable[[str], None],
    ) -> None:
        self._wake = wake
        self._report_uncarried = report_uncarried
        self.plan = plan
        self.task_id = plan.task
        self._wiring = wiring
        self._pack = pack
        self._rng = random.Random(os.urandom(16))
        self._rand = self._rng.getrandbits
        router = Router(plan.component, plan.subscriptions, set(plan.direct_streams), self._rng)
        own_streams = plan.stream_names.get(plan.component, ())
        # stream -> (index on the wire, one-task chooser or None, general route function,
        #            key position and str key -> task cache of a fields chooser, or -1 and an empty dict)
        self._outs: dict[str, tuple[int, Any, Any, int, dict[str, int]]] = {}
        for stream, route in router.functions.items():
            choose = router.single_chooser(stream)
            position, cache = getattr(choose, "key_cache", (-1, {}))
            self._outs[stream] = (own_streams.index(stream), choose, route, position, cache)
        self._flat_limit = batch * RECORD_WIDTH
        self.ports: dict[int, OutPort] = {}
        self._port_list: list[Optional[OutPort]] = [None] * (max(plan.task_component, default=0) + 1)  # by task id
        self.ack_ports: dict[int, OutPort] = {}
        self.acks: dict[int, int] = {}  # root -> XOR of the acks since the last flush
        self.fails: dict[int, list[int]] = {}  # spout task -> failed roots
        self.inputs: dict[int, Any] = {}  # tuple handle -> (roots, value), a list once anchored to
        self.callbacks: list[Any] = []  # spout message ids whose tuples reached nobody
        self.tracker = SpoutTracker(plan.task, timeout) if plan.kind == "spout" else None
        self.lock = threading.Lock()
        self.main_thread = threading.get_ident()
        self.blocked = False
        self.emitted = self.transferred = self.acked = self.failed = 0
        self._emit_calls = 0  # spout emits through _spout_emit (see emit_calls)
        self._hot: tuple[Any, Any] = _NOT_HOT  # (anchors object, its input entry) of the common emit
        self._fast = _hotpath.implementation()  # compiled hot path, or its pure-Python twin
        self._xor_acks = self._fast.xor_acks
        self.emit = self._compile_spout_emit() if self.tracker is not None else self._compile_bolt_emit()
        self._hot_emit: Any = self.emit if hasattr(self.emit, "hot_calls") else None  # a compiled SpoutEmit
        # bolts: emit_many's loop (BoltEmit.many); spouts emit each tuple with its own id
        self.emit_many: Optional[Callable[..., int]] = None if self.tracker is not None else self.emit.many  # type: ignore[attr-defined]

    @property
    def emit_calls(self) -> int:
        """How many times the spout called ``emit`` (``emitted`` counts records as they are sealed).

        ``_spout_emit`` counts its calls, the compiled ``SpoutEmit`` those it runs in C.
        """
        hot = self._hot_emit
        return self._emit_calls if hot is None else self._emit_calls + hot.hot_calls

    # -- ComponentHost: emit, ack, fail --------------------------------------------------

    def _hot_outs(self) -> dict[str, _hotpath.HotOut]:
        """The streams whose non-direct emits reach one task, as the emits take them."""
        return {stream: (out[0], out[1], out[3], out[4], getattr(out[1], "key_tasks", ()))
                for stream, out in self._outs.items() if out[1] is not None}

    def _compile_bolt_emit(self) -> Any:
        """Return the bolt ``emit`` (``_hotpath.BoltEmit``: compiled, or its pure-Python twin)."""
        args = (self, self._hot_outs(), self._port_list, self._flat_limit, os.urandom(32))
        python_emit = _hotpath.BoltEmit(*args, None)
        if self._fast is _hotpath:
            return python_emit
        return self._fast.BoltEmit(*args, python_emit)  # keyword calls go to the Python twin

    def _compile_spout_emit(self) -> Any:
        """Return the spout ``emit`` (``_hotpath.SpoutEmit``: compiled, or ``_spout_emit`` itself)."""
        return self._fast.SpoutEmit(self, self._hot_outs(), self._port_list, self._flat_limit, os.urandom(32), self._spout_emit,
                                    self.tracker.pending, self.task_id)  # type: ignore[union-attr]

    def _heat(self, anchors: Sequence[Any]) -> Optional[list[Any]]:
        """Make ``anchors`` the hot anchors when they are one input of one tree, or one untracked input; return its entry."""
        if len(anchors) != 1 or type(anchors[0]) is not int:
            return None
        if anchors[0] < 0:  # an untracked input (negative handle)
            self._hot = (anchors, _UNTRACKED)
            return _UNTRACKED
        entry = self.inputs.get(anchors[0])
        if type(entry) is tuple:
            entry = self.inputs[anchors[0]] = list(entry)  # children XOR their edges into it
        if entry is None or type(entry[0]) is not int:
            return None
        self._hot = (anchors, entry)
        return entry  # type: ignore[no-any-return]  # a list now: a tuple entry was replaced above

    def _bolt_emit_slow(
        self, stream: str, values: list[Any], anchors: Sequence[Any], direct_task: Optional[int]
    ) -> list[int]:
        """Emit the general way (the lock is held); return the receiving tasks."""
        sidx, choose, route, _, _ = self._outs.get(stream) or self._unknown_stream(stream)
        targets = [choose(values)] if choose is not None and direct_task is None else route(values, direct_task)
        self.emitted += 1 - len(targets)  # sealing counts one per record
        if targets:
            self._emit_anchored(sidx, values, anchors, targets)
        return targets

    def _spout_emit(
        self,
        stream: str,
        values: list[Any],
        anchors: Sequence[Any],
        tup_id: Any,
        direct_task: Optional[int],
        need_task_ids: bool,
    ) -> Optional[list[int]]:
        with self.lock:
            sidx, choose, route, _, _ = self._outs.get(stream) or self._unknown_stream(stream)
            targets = [choose(values)] if choose is not None and direct_task is None else route(values, direct_task)
            self.emitted += 1 - len(targets)  # sealing counts one per record
            self._emit_calls += 1
            if not targets:
                if tup_id is not None:
                    self.callbacks.append(tup_id)  # nobody listens: the tree is complete at once
            elif tup_id is None:
                for task in targets:
                    self._append(task, sidx, values, None, 0)
            else:
                rand = self._rand
                root = ((rand(46) + 1) << TASK_BITS) | self.task_id
                if len(targets) == 1:
                    xor = rand(64) | 1
                    self._append(targets[0], sidx, values, root, xor)
                else:
                    xor = 0
                    for task in targets:
                        edge = rand(64) | 1
                        xor ^= edge
                        self._append(task, sidx, values, root, edge)
                self.tracker.pending[root] = [xor, tup_id, time.monotonic()]  # type: ignore[union-attr]
        if _get_ident() != self.main_thread:
            self._wake()
        return targets if need_task_ids else None

    def ack(self, tup_id: Any) -> None:
        """Ack an input tuple: XOR its value into its roots' pending acks."""
        if tup_id is None:
            return
        with self.lock:
            self._hot = _NOT_HOT
            entry = self.inputs.pop(tup_id, None) if type(tup_id) is int else None
            if entry is None:
                self._untracked(tup_id, "ack")
                self.acked += 1
                return
            self.acked += 1
            roots = entry[0]
            acks = self.acks
            if type(roots) is int:
                acks[roots] = acks.get(roots, 0) ^ entry[1]
            else:
                value = entry[1]
                for i in range(0, len(roots), 2):
                    root = roots[i]
                    acks[root] = acks.get(root, 0) ^ roots[i + 1] ^ value
        if _get_ident() != self.main_thread:
            self._wake()  # a user thread's ack (e.g. a delivery report): send it now, not at housekeeping

    def ack_many(self, tup_ids: Sequence[Any]) -> None:
        """Ack several input tuples (a bolt batch's auto-acks); unknown ids raise after the others."""
        with self.lock:
            self._hot = _NOT_HOT
            unknown = self._xor_acks(self.inputs, self.acks, tup_ids)
            self.acked += len(tup_ids) - (unknown is not None)
        if unknown is not None:
            self._untracked(unknown, "ack")

    def fail(self, tup_id: Any) -> None:
        """Fail an input tuple: its spout tuples fail at once."""
        if tup_id is None:
            return
        with self.lock:
            self._hot = _NOT_HOT
            entry = self.inputs.pop(tup_id, None) if type(tup_id) is int else None
            if entry is None:
                self._untracked(tup_id, "fail")
                self.failed += 1
                return
            self.failed += 1
            roots = entry[0]
            for root in ([roots] if type(roots) is int else roots[::2]):
                self.fails.setdefault(root & TASK_MASK, []).append(root)
        if _get_ident() != self.main_thread:
            self._wake()

    def fail_held_inputs(self) -> int:
        """Fail every input tuple not acked or failed yet; return how many (a dying task calls it).

        Their spouts replay them at once instead of at the message timeout. Not
        counted in ``failed``: the user did not fail them.
        """
        with self.lock:
            self._hot = _NOT_HOT
            held, self.inputs = self.inputs, {}
            for entry in held.values():
                roots = entry[0]
                for root in ([roots] if type(roots) is int else roots[::2]):
                    self.fails.setdefault(root & TASK_MASK, []).append(root)
        return len(held)

    def _untracked(self, tup_id: Any, what: str) -> None:
        """Accept an untracked input (negative handle); refuse an unknown id."""
        if type(tup_id) is int and tup_id < 0:
            return
        raise unknown_input_error(f"{self.plan.component}[{self.task_id}]", what, tup_id)

    # -- emit internals ------------------------------------------------------------------

    def _unknown_stream(self, stream: str) -> tuple[int, Any, Any, int, dict[str, int]]:
        raise TopologyError(
            f"{self.plan.component}: emit on undeclared stream {stream!r} "
            f"(declared: {', '.join(map(repr, self._outs)) or 'none'}); add it to outputs"
        )

    def _new_port(self, task: int) -> OutPort:
        port = self.ports[task] = OutPort(task, self._wiring.inbox_write[task], self.task_id, DATA, self._pack)
        self._port_list[task] = port
        return port

    def _seal(self, port: OutPort) -> None:
        count = len(port.records) // RECORD_WIDTH
        self.transferred += count
        self.emitted += count
        port.seal()
        if port.rejected:
            self._fail_rejected(port)
        if not port.flush():
            self.blocked = True

    def _fail_rejected(self, port: OutPort) -> None:
        """Fail the trees of the records a port could not encode and report why (lock held)."""
        rejected, port.rejected = port.rejected, []
        streams = self.plan.stream_names.get(self.plan.component, ())
        for (sidx, values, root, _edge), error in rejected:
            self._fail_roots(root)
            stream = streams[sidx] if sidx < len(streams) else str(sidx)
            fields = self.plan.context.output_fields.get(stream, ())
            index, cause = first_uncarried(values, self._pack) or (0, error)
            kind = type(values[index]).__name__ if index < len(values) else "value"
            self._report_uncarried(uncarried_message(
                f"{self.plan.component}[{self.task_id}]", stream, fields, index, kind, cause))

    def fail_trees(self, root: Any) -> None:
        """Fail the trees of a record that never became an input (it could not be decoded)."""
        with self.lock:
            self._fail_roots(root)

    def _fail_roots(self, root: Any) -> None:
        """Fail the trees a record belongs to: ``root`` is one root id, a flat [root, edge, ...] list or None."""
        if root is None:
            return
        for one in ([root] if type(root) is int else root[::2]):
            self.fails.setdefault(one & TASK_MASK, []).append(one)

    def _append(self, task: int, sidx: int, values: Any, root: Any, edge: int) -> None:
        port = self.ports.get(task) or self._new_port(task)
        records = port.records
        records += (sidx, values, root, edge)
        if len(records) >= self._flat_limit:
            self._seal(port)

    def _emit_anchored(self, sidx: int, values: Any, anchors: Sequence[Any], targets: list[int]) -> None:
        entries = []
        for handle in anchors:
            if handle is None or (type(handle) is int and handle < 0):
                continue  # tick tuples and untracked inputs add nothing to a tree
            entry = self.inputs.get(handle) if type(handle) is int else None
            if type(entry) is tuple:
                entry = self.inputs[handle] = list(entry)  # children XOR their edges into it
            elif entry is None:
                raise unknown_anchor_error(f"{self.plan.component}[{self.task_id}]", handle)
            entries.append(entry)
        if not entries:
            for task in targets:
                self._append(task, sidx, values, None, 0)
            return
        for task in targets:
            root, edge = anchored_child(entries, self._rand)
            self._append(task, sidx, values, root, edge)

    # -- output ----------------------------------------------------------------------------

    def _ack_port(self, task: int) -> OutPort:
        port = self.ack_ports.get(task)
        if port is None:
            port = self.ack_ports[task] = OutPort(task, self._wiring.inbox_write[task], self.task_id, ACKS, self._pack)
        return port

    def _queue_acks(self) -> None:
        """Turn the pending acks and fails into one ACKS message per spout task."""
        acks, fails = self.acks, self.fails
        self.acks, self.fails = {}, {}
        spout_tasks = self.plan.spout_tasks
        by_task: dict[int, list[int]] = {}
        if len(spout_tasks) == 1:  # roots are minted by spout tasks only: all are that task's
            if acks:
                by_task[next(iter(spout_tasks))] = list(itertools.chain.from_iterable(acks.items()))
        else:
            for root, value in acks.items():
                pending = by_task.get(root & TASK_MASK)
                if pending is None:
                    pending = by_task[root & TASK_MASK] = []
                pending += (root, value)
        for task in set(by_task) | set(fails):
            if task in spout_tasks:
                self._ack_port(task).queue_message((ACKS, self.task_id, by_task.get(task, []), fails.get(task, [])))

    def flush(self) -> bool:
        """Seal and send what can be sent now; return True when every buffer is empty."""
        ok = True
        with self.lock:
            if self.acks or self.fails:
                self._queue_acks()
            for port in self.ports.values():
                if port.records:
                    count = len(port.records) // RECORD_WIDTH
                    self.transferred += count
                    self.emitted += count
                    port.seal()
                    if port.rejected:
                        self._fail_rejected(port)
                if port.queued and not port.flush():
                    ok = False
            if self.fails:  # trees of records no port could encode
                self._queue_acks()
            for port in self.ack_ports.values():
                if port.queued and not port.flush():
                    ok = False
            self.blocked = not ok
        return ok
