"""The engine's per-tuple hot path: pure Python here, the same in C in ``_speedups``.

These functions carry almost all of the engine's own per-tuple work (profiles of the
word count: the rest is user code, object allocation and the api's emit and dispatch loop):

* ``BoltEmit``: a bolt task's ``emit`` (route, mint an edge, XOR it into the
  anchor's input entry, append the record to the destination's output buffer),
  and its ``many``: the loop of ``emit_many``;
* ``AutoEmit``: a bolt's ``self.emit(values)`` without a Python frame (the api's
  ``Bolt.emit`` for everything else);
* ``SpoutEmit``: a spout task's ``emit`` (mint the root and the edge, start the tree);
* ``SpoutAutoEmit``: a spout's ``self.emit(values, tup_id=x)`` without a Python frame
  (the api's ``Spout.emit`` for everything else);
* ``spout_acks``: a spout task's ACKS message folded into its pending trees (latency,
  acked count and ``ack()`` of each completed tree);
* ``fold_acks_message``: ``spout_acks`` straight from an ACKS message's bytes;
* ``spout_burst``: a spout task's loop of ``next_tuple`` calls;
* ``xor_acks``: a batch's auto-acks folded into the per-root XOR table;
* ``pack_batch``: a DATA batch's msgpack bytes (plain values only, else None: msgpack);
* ``decode_batch``: a DATA batch's bytes straight to ``Tuple`` objects (else None: msgpack);
* ``uniform_tuples``: the ``Tuple`` objects of a one-stream batch, all tracked or all
  untracked, with their input entries registered.
* ``dispatch_batch``: a bolt's batch through the fused loop of
  ``Bolt._squall_on_tuples`` (the C twin is that loop in C).

The compiled module ``_speedups`` is built from the C files in ``speedups_c/``, one per
job, each naming the twins here that it mirrors (``speedups_c/module.c`` lists them).

``implementation()`` returns the compiled module (``_speedups`` in this package) when it
was built (``pip install -e .`` builds it where a C compiler exists) and the
environment does not set ``SQUALL_PURE_PYTHON=1``, else this module. Both have the
same contract, checked side by side by ``tests/engine/test_hotpath.py``; the choice
is made per task when its collector is built, so a test may set the variable before
``run_local``.
"""

from __future__ import annotations

import os
import threading
from itertools import repeat
from types import ModuleType
from typing import Any, Callable, Optional, Sequence

RECORD_WIDTH = 4  # slots per DATA record: _transport.RECORD_WIDTH (which imports this module); speedups_c/speedups.h
PURE_PYTHON_ENV = "SQUALL_PURE_PYTHON"
_get_ident = threading.get_ident
_new = tuple.__new__

try:
    from squall.engine import _speedups as _compiled  # type: ignore[attr-defined]
except ImportError:  # not built (no C compiler at install time): the pure-Python twins below
    _compiled = None


def implementation() -> ModuleType:
    """Return the module whose hot-path functions this task uses: compiled unless unavailable or switched off.

    >>> implementation().__name__.rsplit(".", 1)[1] in ("_speedups", "_hotpath")
    True
    """
    if _compiled is None or os.environ.get(PURE_PYTHON_ENV, "") not in ("", "0"):
        return _PURE
    compiled: ModuleType = _compiled
    return compiled


HotOut = tuple[int, Any, int, dict[str, int], tuple[int, ...]]
"""A stream whose non-direct emits reach one task: its wire index, its chooser, the key's
position (-1: none), the chooser's key cache, and the tasks the CRC-32 of a str key's UTF-8
indexes (``key_hash``'s rule: the C twin hashes the key inline, this one uses the cache)."""


def compiled_available() -> bool:
    """Whether the C extension was built and imports."""
    return _compiled is not None


def BoltEmit(collector: Any, hot_outs: dict[str, HotOut],  # noqa: N802 (twin of a C type)
             port_list: list[Any], limit: int, seed: bytes, fallback: Any) -> Callable[..., Optional[list[int]]]:
    """Return the bolt ``emit`` closure of ``collector`` (the C twin is a callable object).

    Its ``many(stream, tuples, size, anchors, direct_task)`` emits ``tuples`` in order
    (no ids, no task ids asked, the same anchors) while each is an exact list of
    ``size`` values, and returns how many it emitted (the C twin: under one lock).

    The common case is an emit auto-anchored to the input being processed (the api
    passes the same anchors tuple for every emit of one ``process`` call) on a stream
    with one receiving task: ``collector._hot`` remembers that anchors object and its
    input entry until the next ack or fail. Everything else goes through
    ``collector._bolt_emit_slow``. ``seed`` and ``fallback`` are for the C twin (its
    own edge generator; a call with keyword arguments).
    """
    lock, rand = collector.lock, collector._rand
    heat, slow, seal, new_port = collector._heat, collector._bolt_emit_slow, collector._seal, collector._new_port
    wake, main_thread = collector._wake, collector.main_thread

    def emit(
        stream: str,
        values: list[Any],
        anchors: Sequence[Any],
        tup_id: Any,
        direct_task: Optional[int],
        need_task_ids: bool,
    ) -> Optional[list[int]]:
        lock.acquire()
        try:
            hot_anchors, entry = collector._hot
            first = anchors is not hot_anchors
            if first:
                entry = heat(anchors)  # the first emit of a process() call, or explicit anchors
            out = hot_outs.get(stream) if entry is not None and direct_task is None else None
            if out is None:
                targets = slow(stream, values, anchors, direct_task)
            else:
                if first and _get_ident() != main_thread:
                    wake()  # a user thread's emit: the main loop may be asleep
                # later emits with the same anchors object come from the thread running process()
                sidx, choose, position, cache, _ = out  # the C twin hashes str keys with key_tasks
                if position >= 0:
                    try:
                        task = cache[values[position]]
                    except (KeyError, TypeError):  # a new or unhashable key
                        task = choose(values)
                else:
                    task = choose(values)
                port = port_list[task] or new_port(task)
                records = port.records
                if entry[0] is None:  # anchored to an untracked input: untracked too
                    records += (sidx, values, None, 0)
                else:
                    edge = rand(64) | 1  # | 1: an edge is never 0, so it always changes the XOR
                    entry[1] ^= edge
                    records += (sidx, values, entry[0], edge)
                if len(records) >= limit:
                    seal(port)
                return [task] if need_task_ids else None
        finally:
            lock.release()
        if _get_ident() != main_thread:
            wake()
        return targets if need_task_ids else None

    def many(stream: str, tuples: Sequence[Any], size: Optional[int], anchors: Sequence[Any],
             direct_task: Optional[int]) -> int:
        """Emit each of ``tuples`` while it is a list of ``size`` values; return how many were emitted."""
        count = 0
        for values in tuples:
            if type(values) is not list or len(values) != size:
                break
            emit(stream, values, anchors, None, direct_task, False)
            count += 1
        return count

    emit.many = many  # type: ignore[attr-defined]  # as the C twin's method
    return emit


def AutoEmit(component: Any, host_emit: Any, fallback: Any, stream: str) -> Any:  # noqa: N802 (twin of a C type)
    """Return a bolt's ``emit``: ``fallback`` (its bound ``Bolt.emit``) itself.

    The C twin runs ``Bolt.emit``'s common call, ``emit(values)`` with an exact list of
    the default stream's size, in C: ``host_emit(stream, values, anchors, None, None,
    False)`` with the auto anchors when ``component._squall_anchor_thread`` is the
    calling thread, else ``()``; every other call goes to ``fallback``.
    """
    return fallback


def SpoutEmit(collector: Any, hot_outs: dict[str, HotOut],  # noqa: N802 (twin of a C type)
              port_list: list[Any], limit: int, seed: bytes, fallback: Any, pending: dict[int, Any],
              task_id: int) -> Callable[..., Optional[list[int]]]:
    """Return the spout ``emit`` of ``collector``: ``fallback`` (``Collector._spout_emit``) itself.

    The C twin handles the common case (one receiving task, no direct task, a single
    thread in the process) in C: mint the root (its low bits are ``task_id``) and the
    edge, append the record, start the tree in ``pending`` as ``[xor, msg id, start]``;
    everything else goes to ``fallback``.
    """
    emit: Callable[..., Optional[list[int]]] = fallback
    return emit


def SpoutAutoEmit(component: Any, host_emit: Any, fallback: Any, stream: str) -> Any:  # noqa: N802 (twin of a C type)
    """Return a spout's ``emit``: ``fallback`` (its bound ``Spout.emit``) itself.

    The C twin runs ``Spout.emit``'s common calls, ``emit(values)``, ``emit(values, x)``
    and ``emit(values, tup_id=x)`` with an exact list of the default stream's size, in
    C: ``host_emit(stream, values, (), x, None, False)`` (``x`` None when not given);
    every other call goes to ``fallback``.
    """
    return fallback


def spout_acks(tracker: Any, collector: Any, spout: Any, acks: Sequence[int], start: int,
               now: float) -> Optional[tuple[int, Exception]]:
    """Fold the ``(root, value)`` pairs of ``acks`` from index ``start`` on into ``tracker.pending``.

    A root no longer pending is skipped (failed, timed out, or a previous
    incarnation's). A tree whose XOR reaches 0 leaves ``pending``; its latency
    ``now - start`` goes to ``tracker.latency``, ``collector.acked`` counts it, and
    ``spout.ack(msg_id)`` is called. An ``Exception`` from ``ack()`` stops the loop:
    return ``(index of the next pair, exception)``, so the caller applies its error
    policy and may go on from there; else None.

    >>> from types import SimpleNamespace
    >>> from squall.engine._acking import SpoutTracker
    >>> tracker, collector, spout = SpoutTracker(1, 30.0), SimpleNamespace(acked=0), SimpleNamespace(ack=print)
    >>> tracker.start(65537, 6, "m", 1.0)
    >>> spout_acks(tracker, collector, spout, [65537, 2, 9, 9, 65537, 4], 0, 1.5)
    m
    >>> collector.acked, tracker.pending, tracker.latency.buckets
    (1, {}, {71: 1})
    """
    pending = tracker.pending
    add = tracker.latency.add
    for index in range(start, len(acks) - 1, 2):
        root = acks[index]
        entry = pending.get(root)
        if entry is None:
            continue
        value = acks[index + 1] ^ entry[0]
        if value:
            entry[0] = value
            continue
        del pending[root]
        add((now - entry[2]) * 1000.0)
        collector.acked += 1
        try:
            spout.ack(entry[1])
        except Exception as exc:
            return index + 2, exc
    return None


def fold_acks_message(data: Any, tracker: Any, collector: Any, spout: Any, now: float) -> Any:
    """Run ``spout_acks`` on the pairs of an encoded ACKS message, or return None when the general path must.

    The compiled twin takes the msgpack bytes of ``(ACKS, src, [root, value, ...], [])``
    (plain unsigned ints, no fails) without building their Python objects, and returns
    True when done, or ``(index of the next pair, exception)`` when ``ack()`` raised
    (the caller decodes the message and goes on from there); anything else, and every
    message here, is left to the general path (msgpack, then ``spout_acks``).
    """
    return None


def spout_burst(target: Any, method: Optional[str], collector: Any, emit: Any, pending: dict[int, Any], count: int,
                limit: Optional[int]) -> Optional[tuple[int, Exception, bool]]:
    """Call ``target.<method>()`` (looked up per call), or ``target()`` when ``method`` is None, up to ``count`` times.

    Stop after a call that emitted nothing (``collector.emit_calls`` unchanged; the C
    twin reads the count from ``emit``, the collector's emit, when it is a
    ``SpoutEmit``), left the collector blocked, or brought ``len(pending)`` to
    ``limit`` (None: no limit). An ``Exception`` from the call stops the loop: return
    ``(calls left, exception, whether that call emitted)``, so the caller applies its
    error policy and the same checks, and may go on; else None.

    >>> from types import SimpleNamespace
    >>> collector = SimpleNamespace(emit_calls=0, blocked=False)
    >>> def emit(): collector.emit_calls += 1
    >>> spout_burst(emit, None, collector, None, {}, 5, None), collector.emit_calls
    (None, 5)
    """
    while count > 0:
        before = collector.emit_calls
        count -= 1
        try:
            if method is None:
                target()
            else:
                getattr(target, method)()
        except Exception as exc:
            return count, exc, collector.emit_calls != before
        if collector.emit_calls == before or collector.blocked or (limit is not None and len(pending) >= limit):
            break
    return None


def xor_acks(inputs: dict[int, Any], acks: dict[int, int], ids: Sequence[Any]) -> Any:
    """Pop each id's input entry and XOR it into ``acks`` (root -> XOR); return the first unknown id or None.

    None and negative ids (untracked inputs) are not unknown. An entry is
    ``(root, value)`` or ``(flat [root, edge, ...], value)``, as ``Collector`` keeps them.

    >>> acks = {}
    >>> xor_acks({1: (7, 5)}, acks, [1, -2, 9]), acks
    (9, {7: 5})
    """
    unknown = None
    pop = inputs.pop
    get = acks.get
    for tup_id in ids:
        entry = pop(tup_id, None) if type(tup_id) is int else None
        if entry is None:
            if tup_id is not None and not (type(tup_id) is int and tup_id < 0) and unknown is None:
                unknown = tup_id
            continue
        roots = entry[0]
        if type(roots) is int:
            acks[roots] = get(roots, 0) ^ entry[1]
        else:
            value = entry[1]
            for i in range(0, len(roots), 2):
                root = roots[i]
                acks[root] = get(root, 0) ^ roots[i + 1] ^ value
    return unknown


def pack_batch(kind: int, src: int, records: list[Any]) -> Optional[bytes]:
    """Return the msgpack bytes of ``(kind, src, records)``, or None when msgpack's packer must encode it.

    The compiled twin encodes exact str, int (64 bits), float, bool, None, bytes, list,
    tuple and dict values itself and leaves everything else (and every error) to the
    packer; this twin always leaves it to the packer.
    """
    return None


def decode_batch(data: Any, tables: dict[int, list[Any]], inputs: dict[int, Any], first: int,
                 tuple_class: Any) -> Optional[tuple[int, list[Any]]]:
    """Return ``(src, tuples)`` of an encoded DATA batch, or None when the general path must decode it.

    ``tables`` maps a source task to its per-stream ``(component, stream, values class,
    size)`` rows (``TaskHost._source``); tuples get the handles ``first``, ``first + 1``,
    ... as ``TaskHost._tuples`` gives them (negative when untracked), tracked ones their
    input entry in ``inputs``. The compiled twin decodes plain msgpack values itself
    (and registers nothing when it gives up); this twin always leaves it to msgpack.
    """
    return None


def uniform_tuples(inputs: dict[int, Any], first: int, records: list[Any], component: str, stream: str,
                   src: int, values_class: Any, size: int, tuple_class: Any) -> Optional[list[Any]]:
    """Build the tuples of a batch whose records are one stream, ``size`` values each, all tracked or none.

    Handles are ``first``, ``first + 1``, ...; each gets its input entry ``(root, edge)``
    in ``inputs``; untracked tuples get the negative handles ``-first``, ``-first - 1``, ...
    Return None (and register nothing) when the batch is not that uniform.
    """
    sidxs, roots = records[0::RECORD_WIDTH], records[2::RECORD_WIDTH]
    count = len(roots)
    if not count or len(records) % RECORD_WIDTH or sidxs.count(sidxs[0]) != count:
        return None
    untracked = roots.count(None)
    if untracked not in (0, count):
        return None
    values = records[1::RECORD_WIDTH]
    if set(map(len, values)) != {size}:  # msgpack decodes arrays as lists
        return None
    if untracked:
        ids: range = range(-first, -first - count, -1)  # negative handles: nothing to ack
    else:
        ids = range(first, first + count)
        inputs.update(zip(ids, zip(roots, records[3::RECORD_WIDTH])))  # made a list by the first anchored emit
    return list(map(_new, repeat(tuple_class, count), zip(
        ids, repeat(component, count), repeat(stream, count), repeat(src, count),
        map(_new, repeat(values_class, count), values),
    )))


def dispatch_batch(bolt: Any, tuples: Sequence[Any], on_error: Any, settled: Any, tuple_class: Any) -> None:
    """Run ``bolt`` on ``tuples``: ``bolt._squall_on_tuples(tuples, on_error)``, the one definition.

    The C twin is the fused loop of ``Bolt._squall_on_tuples`` compiled, for a bolt
    whose class overrides neither ``_squall_on_tuples`` nor ``_squall_on_tuple`` (the
    caller checks): same calls on the bolt and its host, in the same order.
    ``settled`` (``squall.api._bolt._SETTLED``) and ``tuple_class``
    (``squall.api.Tuple``, read by index) are for the C twin.
    """
    bolt._squall_on_tuples(tuples, on_error)


def _self() -> ModuleType:
    import sys

    return sys.modules[__name__]


_PURE = _self()
