"""The spout task's compiled hot path (spout_acks, spout_burst, SpoutAutoEmit) against its twins.

As in test_hotpath.py: each function gets the same inputs in both implementations and
must leave the same state and return the same result; the task host's error policy
around them is checked on both.
"""

from __future__ import annotations

import random
import threading
from types import SimpleNamespace
from typing import Any, Optional

import pytest

from squall import Spout
from squall.engine import _hotpath
from squall.engine._acking import TASK_BITS, LatencyStats, SpoutTracker
from squall.engine._task import TaskHost, _Exit
from squall.errors import TopologyError
from tests.engine.test_collector import hosts
from tests.engine.conftest import compiled

TASK = 3


class Acks:
    """A spout's ``ack`` that records its ids, raising ``error`` for the ids in ``raise_on``."""

    def __init__(self, raise_on: tuple[Any, ...] = (), error: Optional[BaseException] = None) -> None:
        self.ids: list[Any] = []
        self.raise_on = raise_on
        self.error = error or RuntimeError("ack broke")

    def ack(self, msg_id: Any) -> None:
        self.ids.append(msg_id)
        if msg_id in self.raise_on:
            raise self.error


def _trees(rng: random.Random, count: int, now: float) -> tuple[SpoutTracker, list[int]]:
    """Return a tracker with ``count`` pending trees and an ACKS message: some complete, some not, some unknown."""
    tracker = SpoutTracker(TASK, 30.0)
    acks: list[int] = []
    for n in range(count):
        root = ((n + 1) << TASK_BITS) | TASK
        edges = [rng.getrandbits(64) | 1 for _ in range(rng.randrange(1, 4))]
        xor = 0
        for edge in edges:
            xor ^= edge
        # latencies from 0 to ~40 s, and a few at the clock's resolution (the lowest bucket)
        start = now - rng.choice([0.0, 1e-7, rng.uniform(0, 0.05), rng.uniform(0, 40)])
        tracker.start(root, xor, f"m{n}", start)
        kept = edges if n % 4 else edges[:-1]  # every 4th tree stays pending
        for edge in kept:
            acks += (root, edge)
        if n % 7 == 0:
            acks += (((count + n + 1) << TASK_BITS) | TASK, 12345)  # not pending (failed, timed out)
    order = list(range(0, len(acks), 2))
    rng.shuffle(order)
    return tracker, [value for i in order for value in acks[i:i + 2]]


def _state(tracker: SpoutTracker, collector: Any, spout: Acks) -> Any:
    lat = tracker.latency
    return (dict(tracker.pending), dict(lat.buckets), lat.count, lat.total, collector.acked, spout.ids)


@pytest.mark.parametrize("seed", range(5))
def test_spout_acks_matches_its_twin_and_latency_stats(seed: int) -> None:
    now = 1000.0
    results = []
    for module in [_hotpath, *([_hotpath._compiled] if _hotpath.compiled_available() else [])]:
        tracker, acks = _trees(random.Random(seed), 300, now)
        tracker.latency.merge(2, 3.5, {5: 2})  # a histogram that already has data
        collector, spout = SimpleNamespace(acked=7), Acks()
        assert module.spout_acks(tracker, collector, spout, acks, 0, now) is None
        results.append(_state(tracker, collector, spout))
    pending, buckets, count, total, acked, ids = results[0]
    assert all(result == results[0] for result in results)  # bit for bit, the total too
    assert len(pending) == 75 and acked == 7 + 225 and len(ids) == 225 and count == 2 + 225
    reference = LatencyStats()  # one add per completed tree, in the order acked
    reference.merge(2, 3.5, {5: 2})
    tracker, acks = _trees(random.Random(seed), 300, now)
    starts = {entry[1]: entry[2] for entry in tracker.pending.values()}
    for msg_id in ids:
        reference.add((now - starts[msg_id]) * 1000.0)
    assert (reference.buckets, reference.count, reference.total) == (buckets, count, total)
    assert -80 in buckets  # the lowest bucket was reached


def test_spout_acks_stops_at_an_ack_that_raises_and_goes_on_from_there(impl: Any) -> None:
    tracker = SpoutTracker(TASK, 30.0)
    roots = [((n + 1) << TASK_BITS) | TASK for n in range(3)]
    for n, root in enumerate(roots):
        tracker.start(root, 5, f"m{n}", 1.0)
    collector, spout = SimpleNamespace(acked=0), Acks(raise_on=("m1",))
    acks = [roots[0], 5, roots[1], 5, roots[2], 4]
    stopped = impl.spout_acks(tracker, collector, spout, acks, 0, 2.0)
    assert stopped is not None and stopped[0] == 4 and str(stopped[1]) == "ack broke"
    assert stopped[1].__traceback__ is not None  # the report shows where ack() raised
    # the tree whose ack() raised is complete and counted; the pairs after it are untouched
    assert (list(tracker.pending), tracker.pending[roots[2]][0], collector.acked, spout.ids) == ([roots[2]], 5, 2, ["m0", "m1"])
    assert tracker.latency.count == 2
    assert impl.spout_acks(tracker, collector, spout, acks, stopped[0], 2.0) is None
    assert tracker.pending[roots[2]][0] == 1 and collector.acked == 2


def test_a_base_exception_from_ack_propagates_with_the_counts_kept(impl: Any) -> None:
    tracker = SpoutTracker(TASK, 30.0)
    root = (1 << TASK_BITS) | TASK
    tracker.start(root, 5, "m0", 1.0)
    collector, spout = SimpleNamespace(acked=0), Acks(raise_on=("m0",), error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        impl.spout_acks(tracker, collector, spout, [root, 5], 0, 2.0)
    assert (tracker.pending, collector.acked, tracker.latency.count, tracker.latency.buckets) == ({}, 1, 1, {79: 1})


def test_spout_acks_ignores_a_trailing_odd_value(impl: Any) -> None:
    tracker = SpoutTracker(TASK, 30.0)
    root = (1 << TASK_BITS) | TASK
    tracker.start(root, 5, "m0", 1.0)
    collector, spout = SimpleNamespace(acked=0), Acks()
    assert impl.spout_acks(tracker, collector, spout, [root, 1, root], 0, 2.0) is None
    assert tracker.pending[root][0] == 4 and spout.ids == []


def _message(acks: list[Any], fails: tuple[int, ...] = ()) -> bytes:
    from squall.engine._transport import ACKS, make_packer

    return make_packer()((ACKS, 9, acks, list(fails)))


@compiled
@pytest.mark.parametrize("raising", [False, True])
def test_an_acks_message_folds_from_its_bytes_as_from_its_list(raising: bool) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    now = 1000.0
    results = []
    for fold in ("bytes", "list"):
        tracker, acks = _trees(random.Random(11), 200, now)
        collector, spout = SimpleNamespace(acked=0), Acks(raise_on=("m9", "m21") if raising else ())
        if fold == "bytes":
            result = _speedups.fold_acks_message(_message(acks), tracker, collector, spout, now)
            assert (result is True) != raising
        else:
            result = _speedups.spout_acks(tracker, collector, spout, acks, 0, now)
        stops = []
        while result not in (None, True):  # go on after each crash, from where it stopped
            stops.append((result[0], str(result[1])))
            result = _speedups.spout_acks(tracker, collector, spout, acks, result[0], now)
        results.append((_state(tracker, collector, spout), stops))
    assert results[0] == results[1]
    assert len(results[0][1]) == (2 if raising else 0)


@compiled
@pytest.mark.parametrize("data", [
    _message([5, 6], fails=(7,)),  # fails: the general path
    _message([5, -6]),  # a negative int
    _message([5, 6.0]),  # a float
    _message([5, 2**64 - 1])[:-1],  # cut short
    _message([5, 6]) + b"\x00",  # trailing bytes
    b"\x93\x01\x09\x90",  # three items
    b"\x94\x00\x09\x90\x90",  # a DATA kind
    b"\x94\x02\x09\x90\x90",  # a FRAG kind
    b"",
], ids=["fails", "negative", "float", "short", "trailing", "three", "data", "frag", "empty"])
def test_any_other_message_is_left_to_the_general_path_untouched(data: bytes) -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    tracker = SpoutTracker(TASK, 30.0)
    tracker.start(5, 6, "m", 1.0)
    collector, spout = SimpleNamespace(acked=0), Acks()
    assert _speedups.fold_acks_message(data, tracker, collector, spout, 2.0) is None
    assert (tracker.pending, collector.acked, spout.ids) == ({5: [6, "m", 1.0]}, 0, [])
    assert _speedups.fold_acks_message(_message([5, 6]), tracker, collector, spout, 2.0) is True
    assert (tracker.pending, collector.acked, spout.ids) == ({}, 1, ["m"])


class _Bursting:
    """A spout stand-in: ``next_tuple`` emits ``plan[i]`` tuples at call i (raising where the plan says)."""

    def __init__(self, collector: Any, plan: list[Any], pending: dict[int, Any]) -> None:
        self.collector, self.plan, self.pending, self.calls = collector, plan, pending, 0

    def next_tuple(self) -> None:
        step = self.plan[self.calls]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        for _ in range(step):
            self.collector.emit_calls += 1
            self.pending[len(self.pending)] = None


@pytest.mark.parametrize("method", ["next_tuple", None])
def test_spout_burst_stops_where_the_python_loop_stopped(impl: Any, method: Any) -> None:
    def run(plan: list[Any], count: int, limit: Any, blocked_after: int = 99) -> Any:
        collector = SimpleNamespace(emit_calls=0, blocked=False)
        pending: dict[int, Any] = {}
        spout = _Bursting(collector, plan, pending)
        if blocked_after < 99:
            def emit_then_block() -> None:
                _Bursting.next_tuple(spout)
                collector.blocked = spout.calls > blocked_after
            spout.next_tuple = emit_then_block  # type: ignore[method-assign]  # looked up per call
        target = spout if method else spout.next_tuple
        result = impl.spout_burst(target, method, collector, None, pending, count, limit)
        return result, spout.calls, collector.emit_calls

    assert run([1] * 10, 5, None) == (None, 5, 5)  # the count
    assert run([1, 2, 0, 1], 10, None) == (None, 3, 3)  # a call that emitted nothing
    assert run([1, 2, 1, 1], 10, 4) == (None, 3, 4)  # pending reached the limit
    assert run([1] * 10, 10, None, blocked_after=2) == (None, 3, 3)  # the collector blocked
    error = ValueError("no line")
    (left, exc, emitted), calls, emits = run([1, 1, error, 1], 10, None)
    assert (left, exc, emitted, calls, emits) == (7, error, False, 3, 2)
    assert exc.__traceback__ is not None
    with pytest.raises(KeyboardInterrupt):
        run([1, KeyboardInterrupt()], 10, None)


# -- the task host around them (both implementations) -------------------------------------


class _Raising(Spout):
    outputs = ["a"]
    exit_on_exception = True

    def initialize(self, conf: Any, context: Any) -> None:
        self.acked: list[Any] = []

    def ack(self, tup_id: Any) -> None:
        self.acked.append(tup_id)
        if tup_id == "m1":
            raise RuntimeError("ack broke")


def _spout_host(tmp_path: Any, spout_class: type, exit_on_exception: bool) -> Any:
    host = hosts(tmp_path)["src"]
    host.instance = spout_class()
    host.instance.exit_on_exception = exit_on_exception
    host.instance._squall_prepare(host, host.plan.conf, host.plan.context)
    host.reports = []
    host.report_error = host.reports.append  # no engine reads the reports here
    return host


def _spout_with_three_trees(tmp_path: Any, stops: bool) -> tuple[TaskHost, dict[int, Any], list[int]]:
    """A spout host whose ack() raises, with three trees pending (xor 5, ids m0, m1, m2)."""
    host = _spout_host(tmp_path, _Raising, stops)
    roots = [((n + 1) << TASK_BITS) | host.task_id for n in range(3)]
    for n, root in enumerate(roots):
        host.collector.tracker.start(root, 5, f"m{n}", 1.0)
    return host, host.collector.tracker.pending, roots


@pytest.mark.parametrize("stops", [True, False])
def test_a_crash_in_ack_leaves_what_it_left_before(impl: Any, tmp_path: Any, stops: bool) -> None:
    host, pending, roots = _spout_with_three_trees(tmp_path, stops)
    fails = [roots[2]]
    message = [roots[0], 5, roots[1], 5, roots[2], 5]
    if stops:  # the task stops at the ack that raised: the rest of the message is left as it was
        with pytest.raises(_Exit):
            host._process_acks(message, fails)
        assert (list(pending), host.collector.acked, host.collector.failed) == ([roots[2]], 2, 0)
        assert host.instance.acked == ["m0", "m1"]
    else:  # the error is reported and the message handled to its end
        host._process_acks(message, fails)
        assert (pending, host.collector.acked, host.instance.acked) == ({}, 3, ["m0", "m1", "m2"])
    (report,) = host.reports
    assert report.startswith(f"src[{host.task_id}] in ack():") and "RuntimeError: ack broke" in report


@pytest.mark.parametrize("stops", [True, False])
def test_a_crash_in_ack_from_an_inbox_message_is_handled_as_before(impl: Any, tmp_path: Any, stops: bool) -> None:
    from squall.engine._transport import ACKS

    host, pending, roots = _spout_with_three_trees(tmp_path, stops)
    inbox = host._wiring.inbox_write[host.task_id]
    inbox.send(host._pack((ACKS, 9, [roots[0], 5, roots[1], 5, roots[2], 4], [])))
    if stops:
        with pytest.raises(_Exit):
            host._read_inbox(8)
        assert (list(pending), pending[roots[2]][0], host.collector.acked) == ([roots[2]], 5, 2)
    else:
        assert host._read_inbox(8) == 1
        assert (list(pending), pending[roots[2]][0], host.collector.acked) == ([roots[2]], 1, 2)
    assert host.instance.acked == ["m0", "m1"] and len(host.reports) == 1
    inbox.send(host._pack((ACKS, 9, [roots[2], 1], [roots[0]])))  # with fails: the general path
    if not stops:
        assert host._read_inbox(8) == 1
        assert (pending, host.collector.acked, host.collector.failed) == ({}, 3, 0)


class _BadLines(Spout):
    outputs = ["a"]

    def initialize(self, conf: Any, context: Any) -> None:
        self.n = 0

    def next_tuple(self) -> None:
        self.n += 1
        if self.n == 2:
            raise ValueError("bad line")
        self.emit([self.n], tup_id=self.n)


@pytest.mark.parametrize("stops", [True, False])
def test_a_crash_in_next_tuple_is_handled_as_before(impl: Any, tmp_path: Any, stops: bool) -> None:
    host = _spout_host(tmp_path, _BadLines, stops)
    host.batch = 5
    if stops:
        with pytest.raises(_Exit):
            host._spout_burst(None)
        assert host.instance.n == 2
        (report,) = host.reports
        assert report.startswith(f"src[{host.task_id}] in next_tuple():") and "ValueError: bad line" in report
    else:  # the call that raised emitted nothing: the burst ends there, as the Python loop did
        assert host._spout_burst(None) == 1
        assert host.instance.n == 2
        assert host._spout_burst(None) == 5 and host.instance.n == 7


def test_a_burst_counts_the_emits_of_the_general_path_too(impl: Any, tmp_path: Any) -> None:
    host = _spout_host(tmp_path, _BadLines, False)
    host.instance.n = 2  # past the bad line
    host.batch = 4
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()  # a second thread: the compiled emit takes the general (locked) path
    try:
        assert host._spout_burst(None) == 4 and host.instance.n == 6
    finally:
        done.set()
        other.join(10)
    assert host._spout_burst(None) == 4 and host.collector.emit_calls == 8


# -- SpoutAutoEmit: Spout.emit's common call -----------------------------------------------


def test_a_spouts_emit_runs_its_common_calls_compiled_and_the_rest_in_python(impl: Any, tmp_path: Any) -> None:
    h = hosts(tmp_path)
    src, rec = h["src"], h["rec"].task_id
    spout = src.instance
    assert ("emit" in vars(spout)) == (impl is not _hotpath)  # compiled: installed on the instance
    pending = src.collector.tracker.pending
    assert spout.emit(["a"], tup_id="m1") is None  # the common call: a tracked tuple
    spout.emit(["b"])  # untracked
    spout.emit(["c"], "m2")  # the id by position
    spout.emit(("d",), tup_id="m3")  # not a list: converted by Spout.emit
    assert spout.emit(["e"], tup_id="m4", need_task_ids=True) == [rec]  # other keywords: Spout.emit
    spout.emit(["f", "g"], stream="other")
    records = src.collector.ports[rec].records
    assert [records[i + 1] for i in range(0, len(records), 4)] == [["a"], ["b"], ["c"], ["d"], ["e"], ["f", "g"]]
    assert records[6] is None and sorted(entry[1] for entry in pending.values()) == ["m1", "m2", "m3", "m4"]
    assert src.collector.emit_calls == 6
    with pytest.raises(TopologyError, match=r"emit of 2 value\(s\) on stream 'default'"):
        spout.emit(["x", "y"], tup_id="m5")
    with pytest.raises(TypeError):
        spout.emit(["x"], tup_ids="m5")  # a misspelt keyword: Spout.emit's own error
    worker = threading.Thread(target=spout.emit, args=(["t"],), kwargs={"tup_id": "m6"})
    worker.start()  # another thread: the host emit takes the lock
    worker.join(10)
    assert records[-3] == ["t"]
    assert "m6" in [entry[1] for entry in pending.values()]


def test_a_spout_that_overrides_emit_keeps_it(impl: Any, tmp_path: Any) -> None:
    from squall import ReliableSpout

    host = hosts(tmp_path)["src"]

    class Replaying(ReliableSpout):
        outputs = ["a"]

    spout = Replaying()
    spout._squall_prepare(host, host.plan.conf, host.plan.context)
    assert "emit" not in vars(spout)
    spout.emit(["a"], tup_id="r1")
    assert "r1" in spout.unacked


@compiled
def test_the_spout_functions_name_what_is_wrong_with_their_arguments() -> None:
    from squall.engine import _speedups  # type: ignore[attr-defined]

    tracker = SpoutTracker(TASK, 30.0)
    root = (1 << TASK_BITS) | TASK
    cases = [
        (lambda: _speedups.spout_acks(tracker, None, None, "x", 0, 1.0), TypeError,
         r"spout_acks\(tracker, collector, spout, acks: list, start: int, now: float\)"),
        (lambda: _speedups.spout_acks(SimpleNamespace(pending=[], latency=LatencyStats()), None, None, [], 0, 1.0),
         TypeError, "the tracker's pending and its latency's buckets must be dicts"),
        (lambda: _speedups.spout_acks(SimpleNamespace(pending={root: (5, "m", 1.0)}, latency=LatencyStats()), None, None,
                                      [root, 5], 0, 1.0), TypeError, r"malformed pending tree: expected \[xor, msg id, start\]"),
        (lambda: _speedups.spout_burst(None, 1, None, None, {}, 1, None), TypeError,
         r"spout_burst\(target, method: str \| None, collector, emit, pending: dict, count: int, limit: int \| None\)"),
        (lambda: _speedups.SpoutAutoEmit.__new__(_speedups.SpoutAutoEmit)(["w"]), TypeError,
         r"SpoutAutoEmit\(component, host_emit, fallback, stream\) was not initialised"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
