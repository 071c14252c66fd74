"""Bolts: the components that process tuples."""

from __future__ import annotations

import threading
from typing import Any, Callable, ClassVar, Iterable, Optional, Sequence

from squall.api._component import Component
from squall.api._dispatch import OnError, stops_task
from squall.api._tuple import TICK_COMPONENT, TICK_STREAM, Tuple
from squall.errors import TopologyError
from squall.topology import BOLT, DEFAULT_STREAM, ComponentSpec

_get_ident = threading.get_ident

# _squall_current holds the id of the input being dispatched; an explicit ack/fail of
# it swaps in this marker, so the dispatch skips its automatic ack/fail.
_SETTLED: Any = object()


def _tuple_id(item: Any) -> Any:
    return item.id if isinstance(item, Tuple) else item


class Bolt(Component):
    """Base class of bolts. Override ``process``; call ``emit`` from it.

    Example::

        class SplitBolt(Bolt):
            outputs = ["word"]

            def process(self, tup):
                for word in tup.values.line.split():
                    self.emit([word])

    Class flags (all True by default):
        auto_anchor: emits made inside ``process()`` (on its thread) are anchored
            to the input tuple, so downstream failures replay it.
        auto_ack: the input is acked when ``process()`` returns.
        auto_fail: the input is failed when ``process()`` raises.

    An explicit ``self.ack(tup)`` or ``self.fail(tup)`` inside ``process()`` wins:
    the automatic ack or fail of that input is skipped. Acking or failing an input
    a second time (or an id that is not a pending input) raises ``TopologyError``
    on every host, as on Storm, where acking an unknown id is fatal.

    Note: on a bolt ``ack(tup)`` and ``fail(tup)`` are *commands* you may call;
    on a spout they are *callbacks*.

    Hosts run every bolt through ``squall.api.dispatch``; a new bolt kind (windowed,
    stateful) subclasses ``Bolt`` and overrides the hooks listed in
    ``squall.api.BoltHooks``, as ``BatchingBolt`` does.
    """

    _squall_kind: ClassVar[str] = BOLT
    auto_anchor: ClassVar[bool] = True
    auto_ack: ClassVar[bool] = True
    auto_fail: ClassVar[bool] = True

    # the per-input state the dispatch loop writes for every tuple: slots, so that the
    # loop and its compiled twin (squall.engine's dispatch_batch) write them cheaply
    __slots__ = ("_squall_anchors", "_squall_anchor_thread", "_squall_current")
    _squall_anchors: Sequence[Any]
    _squall_anchor_thread: Optional[int]
    _squall_current: Any
    # ids delivered but left to the user (auto_ack off, or held by a batching bolt)
    _squall_open: set[Any]

    def __new__(cls, *args: Any, **kwargs: Any) -> Bolt:
        """Create the bolt with its per-input state empty (whatever the subclass's ``__init__`` does)."""
        self = super().__new__(cls)
        self._squall_anchors = ()
        self._squall_anchor_thread = None  # None outside process(): never equal to a thread id
        self._squall_current = _SETTLED
        return self

    def process(self, tup: Tuple) -> None:
        """Process one input tuple. Called on the task's main thread, one at a time."""

    def process_tick(self, tup: Tuple) -> None:
        """Handle a tick tuple (``topology.tick.tuple.freq.secs``). Ticks are acked for you."""

    def emit(
        self,
        values: Any,
        stream: Optional[str] = None,
        anchors: Optional[Iterable[Any]] = None,
        direct_task: Optional[int] = None,
        need_task_ids: bool = False,
    ) -> Optional[list[int]]:
        """Emit a tuple, anchored to ``anchors`` (tuples or ids).

        Without ``anchors``, emits inside ``process()`` are anchored to the current
        input when ``auto_anchor`` is set. Returns the receiving task ids when
        ``need_task_ids`` is True.
        """
        if stream is None:  # the common case: the default stream, its size kept apart (no dict lookup)
            stream = DEFAULT_STREAM
            if type(values) is not list or len(values) != self._squall_default_size:
                values = self._squall_check_emit(stream, values)  # converts or raises the error
        else:
            stream = stream or DEFAULT_STREAM
            if type(values) is not list or len(values) != self._stream_sizes.get(stream):
                values = self._squall_check_emit(stream, values)
        if anchors is None:
            # the anchor thread is None outside process(): never equal to a thread id
            anchor_ids = self._squall_anchors if self._squall_anchor_thread == _get_ident() else ()
        else:
            anchor_ids = [_tuple_id(a) for a in anchors]
        if direct_task is not None:
            self._squall_check_direct(stream, direct_task)
        return self._host.emit(stream, values, anchor_ids, None, direct_task, need_task_ids)

    def emit_many(
        self,
        tuples: Sequence[Any],
        stream: Optional[str] = None,
        anchors: Optional[Iterable[Any]] = None,
        direct_task: Optional[int] = None,
        need_task_ids: bool = False,
    ) -> Optional[list[Optional[list[int]]]]:
        """Emit several tuples on one stream with the same anchors: ``emit`` for each, in order.

        streamparse's ``emit_many`` signature. The stream, anchors and direct task are
        resolved once per call, so it costs less per tuple than a loop of ``emit``.
        A bad tuple raises as ``emit`` would, after the tuples before it were emitted.
        Returns one list of receiving task ids per tuple when ``need_task_ids`` is True.

        Example::

            def process(self, tup):
                self.emit_many([[word] for word in tup.values.line.split()])
        """
        self._squall_check_many(tuples)
        if type(self).emit is not Bolt.emit:  # a subclass's emit sees every tuple
            results = [self.emit(values, stream=stream, anchors=anchors, direct_task=direct_task,
                                 need_task_ids=need_task_ids) for values in tuples]
            return results if need_task_ids else None
        stream = stream or DEFAULT_STREAM
        if anchors is None:
            anchor_ids = self._squall_anchors if self._squall_anchor_thread == _get_ident() else ()
        else:
            anchor_ids = [_tuple_id(a) for a in anchors]
        if direct_task is not None:
            self._squall_check_direct(stream, direct_task)
        return self._squall_emit_each(tuples, stream, anchor_ids, None, direct_task, need_task_ids)

    def ack(self, tup: Any) -> None:
        """Ack an input tuple (a ``Tuple`` or its id), once; inside ``process()`` this replaces auto_ack."""
        tup_id = _tuple_id(tup)
        self._squall_settle(tup_id, "ack")
        self._host.ack(tup_id)

    def fail(self, tup: Any) -> None:
        """Fail an input tuple (a ``Tuple`` or its id), once: its spout tuple will be replayed."""
        tup_id = _tuple_id(tup)
        self._squall_settle(tup_id, "fail")
        self._host.fail(tup_id)

    # -- called by hosts -------------------------------------------------------------

    def _squall_prepare(self, host: Any, conf: Any, context: Any) -> None:
        self._squall_open = set()
        self._squall_bind_emit(host, Bolt.emit)  # the host's compiled emit(values); Bolt.emit for every other call
        super()._squall_prepare(host, conf, context)

    def _squall_settle(self, tup_id: Any, what: str) -> None:
        """Mark an input explicitly acked or failed; refuse a second time (the one rule, every host).

        Safe from any thread: an input left to the user is registered in ``_squall_open``
        before ``process`` runs, and set operations are atomic.
        """
        if tup_id is None:
            return  # an untracked id, as hosts give to unanchored inputs on Storm
        try:
            self._squall_open.remove(tup_id)
            return
        except (KeyError, TypeError, AttributeError):
            pass
        if tup_id == self._squall_current:
            self._squall_current = _SETTLED
            return
        raise TopologyError(
            f"{getattr(self, 'component_name', type(self).__name__)}: {what}() of tuple id {tup_id!r}, "
            "which was already acked or failed (or is not an input of this bolt); "
            "ack or fail each input tuple once"
        )

    def _squall_after(self, tup_id: Any, settle: Optional[Callable[[Any], None]]) -> None:
        """End the dispatch of an auto-acked input: ``settle`` it unless the user did; else keep it open."""
        if self._squall_current is _SETTLED:
            return
        self._squall_current = _SETTLED
        if settle is not None:
            settle(tup_id)
        else:
            self._squall_open.add(tup_id)

    def _squall_end_held(self, tup_id: Any, settle: Optional[Callable[[Any], None]]) -> None:
        """``settle`` an input left to the user (auto_ack off) unless it was acked or failed already."""
        if settle is None:
            return
        try:
            self._squall_open.remove(tup_id)
        except KeyError:
            return  # the user (maybe on another thread) acked or failed it
        settle(tup_id)

    def _squall_on_tuple(self, tup: Tuple) -> None:
        """Run the user's code for one input tuple, applying the auto_* flags.

        Exceptions from user code propagate after the input was failed (auto_fail).
        """
        host = self._host
        tup_id = tup.id
        if tup.is_tick:
            self._squall_current = tup_id
            try:
                self.process_tick(tup)
            finally:
                self._squall_after(tup_id, host.ack)
            return
        held = not self.auto_ack
        if held:
            self._squall_open.add(tup_id)  # before process: its acks may come from any thread
        else:
            self._squall_current = tup_id
        if self.auto_anchor:
            self._squall_anchors = (tup_id,)
            self._squall_anchor_thread = threading.get_ident()
        try:
            self.process(tup)
        except BaseException:
            fail = host.fail if self.auto_fail else None
            if held:
                self._squall_end_held(tup_id, fail)
            else:
                self._squall_after(tup_id, fail)
            raise
        finally:
            self._squall_anchor_thread = None
        if not held:
            self._squall_after(tup_id, host.ack)

    def _squall_on_tuples(self, tuples: Iterable[Tuple], on_error: OnError) -> None:
        """Run ``_squall_on_tuple`` for each tuple in order: the batch entry point of hosts.

        An exception that ``_squall_on_tuple`` would raise goes to ``on_error(exc, tup)``
        instead; the loop goes on with the next tuple unless ``on_error`` raises.
        Same semantics as one ``_squall_on_tuple`` call per tuple (one implementation
        of the auto_* flags), with fewer calls per tuple when the class does not
        override ``_squall_on_tuple``. A host that has ``ack_many(ids)`` (the embedded
        engine) receives the auto-acks of the batch in one call when the batch ends
        (hosts send acks between batches anyway); others get one ``ack`` per tuple.
        """
        if type(self)._squall_on_tuple is not Bolt._squall_on_tuple:
            on_tuple = self._squall_on_tuple
            for one in tuples:
                try:
                    on_tuple(one)
                except Exception as exc:
                    on_error(exc, one)
            return
        # between two tuples only this loop runs on this thread, so the anchor
        # thread may stay set until a tick (unanchored) or the end of the batch.
        # The engine runs a compiled twin of this loop (squall/engine/speedups_c/dispatch.c,
        # dispatch_batch) for bolts that override neither hook: change both together
        # (tests/engine/test_dispatch_twin.py compares them).
        process, host = self.process, self._host
        ack, fail = host.ack, host.fail
        auto_anchor, auto_ack, auto_fail = self.auto_anchor, self.auto_ack, self.auto_fail
        # a host with ack_many(ids) gets the batch's auto-acks in one call after it
        ack_many = getattr(host, "ack_many", None) if auto_ack else None
        held = None if auto_ack else self._squall_open  # inputs left to the user
        done: list[Any] = []
        settle = done.append if ack_many is not None else ack
        tick_stream = TICK_STREAM
        settled = _SETTLED
        thread = _get_ident() if auto_anchor else None
        tup: Any = None
        self._squall_anchor_thread = thread
        try:
            for tup in tuples:
                try:
                    if tup.stream == tick_stream and tup.component == TICK_COMPONENT:
                        self._squall_anchor_thread = None
                        try:
                            self._squall_on_tuple(tup)
                        finally:
                            self._squall_anchor_thread = thread
                        continue
                    tup_id = tup.id
                    if thread is not None:
                        self._squall_anchors = (tup_id,)
                    if held is not None:
                        held.add(tup_id)  # before process: its acks may come from any thread
                    else:
                        self._squall_current = tup_id
                    try:
                        process(tup)
                    except BaseException:
                        if held is not None:
                            self._squall_end_held(tup_id, fail if auto_fail else None)
                        else:
                            self._squall_after(tup_id, fail if auto_fail else None)
                        raise
                    if held is not None or self._squall_current is settled:
                        continue  # left to the user, or acked or failed explicitly
                    # _squall_current is reset once, when the batch ends: between two
                    # tuples only this loop runs on this thread
                    settle(tup_id)  # done.append (acked in one call when the batch ends) or host.ack
                except Exception as exc:
                    on_error(exc, tup)
        except BaseException:
            if done:
                ack_many(done)  # type: ignore[misc]  # what completed stays acked when on_error stops the task
            raise
        finally:
            self._squall_anchor_thread = None
            self._squall_current = settled
        if done:
            try:
                ack_many(done)  # type: ignore[misc]
            except Exception as exc:
                on_error(exc, tup)


class BatchingBolt(Bolt):
    """A bolt that groups tuples by key and processes each group as a batch.

    Tuples are grouped by ``group_key(tup)``; every ``ticks_between_batches`` tick
    tuples (exactly that many) each non-empty group is handed to
    ``process_batch(key, tups)``. Emits inside ``process_batch`` are anchored to the
    whole batch (``auto_anchor``); the batch's tuples are acked together when it
    returns (``auto_ack``) or failed together when it raises (``auto_fail``).
    ``spec()`` sets ``topology.tick.tuple.freq.secs`` to 1 for the component unless
    its config sets it.

    Example::

        class CountPerWord(BatchingBolt):
            outputs = ["word", "count"]
            ticks_between_batches = 2

            def group_key(self, tup):
                return tup.values.word

            def process_batch(self, key, tups):
                self.emit([key, len(tups)])
    """

    ticks_between_batches: ClassVar[int] = 1

    @classmethod
    def spec(cls, name: Optional[str] = None, inputs: Any = None, par: int = 1, config: Any = None) -> ComponentSpec:
        """Wire the bolt like ``Bolt.spec``, with a 1 s tick frequency by default."""
        merged = {"topology.tick.tuple.freq.secs": 1}
        merged.update(config or {})
        return super().spec(name=name, inputs=inputs, par=par, config=merged)

    def group_key(self, tup: Tuple) -> Any:
        """Return the batch key of ``tup`` (default: one batch for everything)."""
        return None

    def process_batch(self, key: Any, tups: list[Tuple]) -> None:
        """Process one batch: the tuples that share ``key`` since the last flush."""

    def _squall_prepare(self, host: Any, conf: Any, context: Any) -> None:
        self._squall_batches: dict[Any, list[Tuple]] = {}
        self._squall_ticks = 0
        self._squall_batch_lock = threading.RLock()
        super()._squall_prepare(host, conf, context)

    def _squall_on_tuple(self, tup: Tuple) -> None:
        if tup.is_tick:
            try:
                self.process_tick(tup)
                self._squall_ticks += 1
                if self._squall_ticks >= self.ticks_between_batches:
                    self._squall_ticks = 0
                    self._squall_flush()
            finally:
                self._host.ack(tup.id)
            return
        with self._squall_batch_lock:
            try:
                self._squall_batches.setdefault(self.group_key(tup), []).append(tup)
            except BaseException:  # group_key raised or returned an unhashable key
                if self.auto_fail:
                    self._host.fail(tup.id)
                raise
            self._squall_open.add(tup.id)  # held until its batch runs

    def _squall_flush(self) -> None:
        """Hand every pending batch to ``process_batch``; ack or fail its tuples.

        A batch that raises is failed (``auto_fail``) and the other batches still run;
        then the first error is raised (later ones are reported with ``raise_exception``).
        """
        with self._squall_batch_lock:
            batches, self._squall_batches = self._squall_batches, {}
            error: Optional[Exception] = None
            for key, tups in batches.items():
                try:
                    self._squall_run_batch(key, tups)
                except Exception as exc:
                    if error is None:
                        error = exc
                    else:
                        self.raise_exception(exc)
            if error is not None:
                raise error

    def _squall_run_batch(self, key: Any, tups: list[Tuple]) -> None:
        if self.auto_anchor:
            self._squall_anchors = tuple(t.id for t in tups)
            self._squall_anchor_thread = threading.get_ident()
        try:
            self.process_batch(key, tups)
        except BaseException:
            if self.auto_fail:
                self._squall_settle_held(tups, self._host.fail)
            raise
        finally:
            self._squall_anchor_thread = None
        if self.auto_ack:
            self._squall_settle_held(tups, self._host.ack)

    def _squall_settle_held(self, tups: list[Tuple], settle: Callable[[Any], None]) -> None:
        """Ack or fail the batch's tuples the user did not ack or fail explicitly."""
        held = self._squall_open
        for tup in tups:
            if tup.id in held:
                held.discard(tup.id)
                settle(tup.id)


class TicklessBatchingBolt(BatchingBolt):
    """A ``BatchingBolt`` flushed by a timer every ``secs_between_batches`` seconds.

    Needs no tick tuples. ``process_batch`` runs on the timer thread (never at the
    same time as ``group_key``); an exception there fails the batch and, as in
    ``process``, stops the task (``exit_on_exception``) or is reported and the timer
    goes on.
    """

    secs_between_batches: ClassVar[float] = 2.0

    @classmethod
    def spec(cls, name: Optional[str] = None, inputs: Any = None, par: int = 1, config: Any = None) -> ComponentSpec:
        """Wire the bolt like ``Bolt.spec`` (no tick tuples needed)."""
        return super(BatchingBolt, cls).spec(name=name, inputs=inputs, par=par, config=config)  # Bolt.spec: no ticks

    def _squall_prepare(self, host: Any, conf: Any, context: Any) -> None:
        super()._squall_prepare(host, conf, context)
        self._squall_stop = threading.Event()
        self._squall_timer = threading.Thread(
            target=self._squall_timer_loop, name=f"squall-batch-{self.component_name}", daemon=True
        )
        self._squall_timer.start()

    def _squall_on_tuple(self, tup: Tuple) -> None:
        if tup.is_tick:
            try:
                self.process_tick(tup)
            finally:
                self._host.ack(tup.id)
            return
        super()._squall_on_tuple(tup)

    def _squall_timer_loop(self) -> None:
        while not self._squall_stop.wait(self.secs_between_batches):
            try:
                self._squall_flush()
            except Exception as exc:
                if stops_task(self):
                    self._host.fatal(exc)  # the host reports it and stops the task
                    return
                self.raise_exception(exc)
            except BaseException as exc:
                self._host.fatal(exc)
                return

    def _squall_close(self) -> None:
        """Stop the flush timer (hosts call this when the task ends)."""
        self._squall_stop.set()
