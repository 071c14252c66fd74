"""The task host's batch decoding and ack bookkeeping, in-process (real hosts and sockets, no fork)."""

from __future__ import annotations

from typing import Any

import pytest

from squall import Bolt, Grouping, Spout, Stream, Topology
from squall.engine._acking import TASK_BITS
from squall.engine._supervisor import Supervisor
from squall.engine._task import TaskHost, _Exit
from squall.engine._transport import unpack


class Src(Spout):
    outputs = [Stream(["a"]), Stream(["b", "c"], name="other")]


class Rec(Bolt):
    outputs = ["x"]

    def initialize(self, conf: Any, context: Any) -> None:
        self.seen: list[Any] = []
        self.raw: list[Any] = []

    def process(self, tup: Any) -> None:
        self.raw.append(tup)
        self.seen.append((tup.id > 0, tup.stream, tuple(tup.values), type(tup.values).__name__))
        if tup.stream == "other":
            self.emit([tup.values[0]])


class Two(Topology):
    src = Src.spec()
    rec = Rec.spec(inputs={src: Grouping.SHUFFLE, src["other"]: Grouping.SHUFFLE})
    sink = Bolt.spec(inputs=[rec])


def hosts(tmp_path: Any, topology: type[Topology] = Two) -> dict[str, TaskHost]:
    """One real task host per component of ``topology`` (its last task), in this process."""
    sup = Supervisor(topology.model, tmp_path, time_limit=None, until_idle=False, idle_secs=1.0, on_progress=None)
    sup._build_plans()
    sup._build_wiring()
    result = {}
    for plan in sup.plans.values():
        sup.wiring.new_control(plan.task)
        host = TaskHost(plan, sup.wiring)
        host.instance = plan.component_class()
        host.instance._squall_prepare(host, plan.conf, plan.context)
        result[plan.component] = host
    return result


def root(n: int, task: int) -> int:
    return (n << TASK_BITS) | task


def test_mixed_and_uniform_batches_deliver_the_same_tuples_and_acks(tmp_path):
    h = hosts(tmp_path)
    rec, src = h["rec"], h["src"].task_id
    uniform = [0, ["x"], root(1, src), 5, 0, ["y"], root(2, src), 6]
    mixed = [0, ["z"], None, 0, 1, ["b", "c"], root(3, src), 7, 1, ["bad"], [root(4, src), 8, root(5, src), 9], 0]
    rec._process_batch(src, uniform)
    rec._process_batch(src, mixed)
    assert rec.instance.seen == [
        (True, "default", ("x",), "Values"),
        (True, "default", ("y",), "Values"),
        (False, "default", ("z",), "Values"),
        (True, "other", ("b", "c"), "Values"),
        (True, "other", ("bad",), "tuple"),  # values that do not fit the fields stay a plain tuple
    ]
    assert rec.collector.inputs == {}  # every tracked input was acked
    children = rec.collector.ports[h["sink"].task_id].records
    edges = {children[i + 2]: children[i + 3] for i in range(0, len(children), 4) if type(children[i + 2]) is int}
    multi = [children[i + 2] for i in range(0, len(children), 4) if type(children[i + 2]) is not int]
    acks = rec.collector.acks
    # one value per root: the input's edge XOR its children's edges
    assert acks[root(1, src)] == 5 and acks[root(2, src)] == 6
    assert acks[root(3, src)] == 7 ^ edges[root(3, src)]
    tree = dict(zip(multi[0][0::2], multi[0][1::2]))
    assert acks[root(4, src)] == 8 ^ tree[root(4, src)] and acks[root(5, src)] == 9 ^ tree[root(5, src)]
    expected = dict(acks)
    rec.collector.flush()
    kind, sender, pairs, fails = unpack(h["src"].inbox.recv(1 << 16))
    assert (kind, sender, fails) == (1, rec.task_id, [])
    assert dict(zip(pairs[0::2], pairs[1::2])) == expected and len(pairs) == 2 * len(expected)


def test_acks_of_one_root_are_sent_as_one_xor(tmp_path):
    h = hosts(tmp_path)
    sink, src = h["sink"], h["src"].task_id
    records = []
    for edge in (3, 5, 9):
        records += [0, ["w"], root(7, src), edge]
    sink._process_batch(h["rec"].task_id, records)
    sink.collector.flush()
    kind, sender, acks, fails = unpack(h["src"].inbox.recv(1 << 16))
    assert (kind, sender, acks, fails) == (1, sink.task_id, [root(7, src), 3 ^ 5 ^ 9], [])


def test_nested_values_arrive_as_lists_and_dicts(tmp_path):
    h = hosts(tmp_path)
    src, rec = h["src"], h["rec"]
    src.emit("default", [{"k": [1, [2, 3]]}], (), 1, None, False)
    src.collector.flush()
    assert rec._read_inbox(8) == 1
    (tup,) = [t for t in rec.instance.raw]
    assert tup.values.a == {"k": [1, [2, 3]]} and type(tup.values.a["k"]) is list


def test_an_anchored_emit_from_a_user_thread_wakes_the_main_loop(tmp_path):
    import os
    import threading

    h = hosts(tmp_path)
    rec, src = h["rec"], h["src"].task_id
    rec.instance.process = lambda tup: None  # keep the inputs: acked by nobody
    rec.instance.auto_ack = False
    rec._process_batch(src, [0, ["x"], root(1, src), 5])
    (handle,) = rec.collector.inputs
    thread = threading.Thread(target=rec.instance.emit, args=(["y"],), kwargs={"anchors": [handle]})
    thread.start()
    thread.join()
    assert os.read(rec.wake_read, 16) == b"x"
    assert len(rec.collector.ports[h["sink"].task_id].records) == 4


class RaiseOnB(Bolt):
    def process(self, tup: Any) -> None:
        if tup.values[0] == "b":
            raise ValueError("b is bad")


class Crashy(Topology):
    src = Src.spec()
    crashy = RaiseOnB.spec(inputs=[src])


def test_a_crash_mid_batch_counts_what_ran_and_fails_what_the_task_still_held(tmp_path):
    sup = Supervisor(Crashy.model, tmp_path, time_limit=None, until_idle=False, idle_secs=1.0, on_progress=None)
    sup._build_plans()
    sup._build_wiring()
    plans = {plan.component: plan for plan in sup.plans.values()}
    sup.wiring.new_control(plans["crashy"].task)
    host = TaskHost(plans["crashy"], sup.wiring)
    host.instance = plans["crashy"].component_class()
    host.instance._squall_prepare(host, plans["crashy"].conf, plans["crashy"].context)
    src = plans["src"].task
    batch = [0, ["a"], root(1, src), 5, 0, ["b"], root(2, src), 6, 0, ["c"], root(3, src), 7]
    with pytest.raises(_Exit):
        host._process_batch(src, batch)
    assert (host.executed, host.collector.acked, host.collector.failed) == (2, 1, 1)  # "c" never ran
    assert host.collector.fail_held_inputs() == 1 and host.collector.inputs == {}
    host.collector.flush()
    kind, sender, acks, fails = unpack(sup.wiring.inbox_read[src].recv(1 << 16))
    assert (kind, sender, acks, sorted(fails)) == (1, host.task_id, [root(1, src), 5], [root(2, src), root(3, src)])
    assert host.collector.failed == 1  # the engine's fails are not the user's
