"""squall.testing behaves as the engines do: loggers, ticks, direct emits, acks, routing."""

from __future__ import annotations

import logging

import pytest

from squall import Bolt, Grouping, Spout, Stream, Topology
from squall.errors import TopologyError
from squall.testing import BoltHarness, InProcessRunner, SpoutHarness, feed_spouts, make_tuple, run_topology


class Talker(Bolt):
    outputs = ["word"]

    def process(self, tup):
        self.logger.info("saw %s", tup.values[0])
        self.log(f"log {tup.values[0]}")


class Chirper(Spout):
    outputs = ["word"]

    def next_tuple(self):
        self.logger.warning("chirp from %s", id(self))


def test_two_bolt_harnesses_of_one_class_keep_their_own_logs():
    a, b = BoltHarness(Talker), BoltHarness(Talker)
    a.process(["from-a"])
    b.process(["from-b"])
    assert [e.message for e in a.logs] == ["saw from-a", "log from-a"]
    assert [e.message for e in b.logs] == ["saw from-b", "log from-b"]
    assert a.component.logger is not b.component.logger
    assert a.component.logger.name == b.component.logger.name == "squall.task.Talker.1"  # as the engines name it


def test_two_spout_harnesses_of_one_class_keep_their_own_logs():
    a, b = SpoutHarness(Chirper), SpoutHarness(Chirper)
    a.next_tuple()
    assert len(a.logs) == 1 and b.logs == []
    b.next_tuple(times=2)
    assert len(a.logs) == 1 and len(b.logs) == 2


def test_component_loggers_stay_out_of_the_logging_registry():
    BoltHarness(Talker)
    assert "squall.task.Talker.1" not in logging.Logger.manager.loggerDict


class TickReader(Bolt):
    outputs = ["freq"]

    def process_tick(self, tup):
        self.emit([tup.values[0]])


class Ticked(Topology):
    words = Chirper.spec()
    reader = TickReader.spec(inputs=[words], config={"topology.tick.tuple.freq.secs": 3})


def test_ticks_carry_their_frequency_in_harness_and_in_process():
    assert BoltHarness(TickReader).tick(5).values() == [(5,)]
    runner = InProcessRunner(feed_spouts(Ticked.model, {"words": []}))
    runner.start()
    runner.tick()
    runner.drain()
    assert runner.result.emitted["reader"]["default"] == [(3,)]


class Router(Bolt):
    outputs = [Stream(["word"], name="routed", direct=True)]

    def process(self, tup):
        self.emit([tup.values[0]], stream="routed", direct_task=int(tup.values[1]))


class Sink(Bolt):
    pass


class Routed(Topology):
    words = Chirper.spec()
    router = Router.spec(inputs=[words])
    sink = Sink.spec(inputs={router["routed"]: Grouping.DIRECT}, par=2)


def test_direct_emit_to_a_task_that_does_not_read_the_stream_is_refused_in_process():
    tasks = Routed.model.task_ids()  # Storm's ids: components sorted by name
    (spout_task,) = tasks["words"]
    bolt = BoltHarness.from_topology(Routed, "router")
    assert bolt.process(make_tuple(["a", tasks["sink"][1]])).emissions[0].direct_task == tasks["sink"][1]
    with pytest.raises(TopologyError) as refused:
        BoltHarness.from_topology(Routed, "router").process(make_tuple(["a", spout_task]))
    assert str(refused.value) == (
        f"router: emit(direct_task={spout_task}) on stream 'routed': task {spout_task} does not read "
        f"that stream with Grouping.DIRECT (tasks that do: {tasks['sink']})"
    )


def test_a_bare_harness_does_not_know_the_readers_and_records_the_direct_emit():
    bolt = BoltHarness(Router)
    assert bolt.process(["a", 99]).emissions[0].direct_task == 99


def test_direct_emit_on_a_stream_read_with_another_grouping_names_the_fix():
    class Pointer(Bolt):
        outputs = ["word"]

        def process(self, tup):
            self.emit([tup.values[0]], direct_task=3)

    class Pointed(Topology):
        words = Chirper.spec()
        pointer = Pointer.spec(inputs=[words])
        sink = Sink.spec(inputs=[pointer])

    bolt = BoltHarness.from_topology(Pointed, "pointer")
    with pytest.raises(TopologyError, match=r"^pointer: emit\(direct_task=3\) on stream 'default', which is not "
                                             r"direct; declare it Stream\(\[\.\.\.\], name='default', direct=True\)"):
        bolt.process(["a"])


class AckTwiceBehindTheApi(Bolt):
    """Acks through the host directly, as a buggy host-level caller would."""

    outputs = ["word"]

    def process(self, tup):
        self._host.ack(tup.id)


def test_in_process_refuses_an_ack_of_an_unknown_id_as_the_engine_does():
    class Twice(Topology):
        words = Chirper.spec()
        twice = AckTwiceBehindTheApi.spec(inputs=[words])

    result = run_topology(Twice, {"words": [("a",)]}, raise_errors=False)
    (error,) = result.errors["twice"]
    (task,) = Twice.model.task_ids()["twice"]
    assert f"EngineError: twice[{task}]: ack() of unknown tuple id" in error
    assert "(already acked or failed, or not an input of this task); ack each input tuple once" in error
    assert result.acked == {"words": [0]}  # the first ack completed the tree


class AnchorsLate(Bolt):
    outputs = ["word"]
    auto_anchor = False

    def initialize(self, conf, context):
        self.previous = None

    def process(self, tup):
        if self.previous is not None:
            self.emit([tup.values[0]], anchors=[self.previous])
        self.previous = tup


def test_in_process_refuses_an_emit_anchored_to_an_acked_tuple_as_the_engine_does():
    class Late(Topology):
        words = Chirper.spec()
        late = AnchorsLate.spec(inputs=[words])

    result = run_topology(Late, {"words": [("a",), ("b",)]}, raise_errors=False)
    (error,) = result.errors["late"]
    (task,) = Late.model.task_ids()["late"]
    assert f"EngineError: late[{task}]: emit anchored to unknown tuple id" in error
    assert "anchor to live input tuples" in error


class Spread(Bolt):
    outputs = ["word"]

    def process(self, tup):
        self.emit([tup.values[0]])


class Shuffled(Topology):
    words = Chirper.spec()
    spread = Spread.spec(inputs=[words], par=2)
    sink = Sink.spec(inputs=[spread], par=5)


def _sink_tasks(seed: int) -> list[int]:
    runner = InProcessRunner(feed_spouts(Shuffled.model, {"words": [(str(i),) for i in range(40)]}), seed=seed)
    seen: list[int] = []
    for task in runner.tasks.values():
        if task.model.name == "sink":
            original = task.instance.process
            task.instance.process = lambda tup, t=task.id, f=original: (seen.append(t), f(tup))
    runner.run()
    return seen


def test_in_process_shuffles_are_reproducible_per_seed():
    assert _sink_tasks(0) == _sink_tasks(0)
    assert _sink_tasks(1) == _sink_tasks(1)
    assert sorted(set(_sink_tasks(0))) == Shuffled.model.task_ids()["sink"]
    assert any(_sink_tasks(seed) != _sink_tasks(0) for seed in (1, 2, 3))


class Pairer(Bolt):
    """Hold inputs in pairs; emit one tuple anchored to both, then ack both."""

    outputs = ["pair"]
    auto_ack = False

    def initialize(self, conf, context):
        self.held = []

    def process(self, tup):
        self.held.append(tup)
        if len(self.held) == 2:
            first, second = self.held
            self.emit([first.values[0] + second.values[0]], anchors=self.held)
            self.held = []
            self.ack(first)
            self.ack(second)


class FailsB(Bolt):
    def process(self, tup):
        if "b" in tup.values[0]:
            self.fail(tup)


class Paired(Topology):
    words = Chirper.spec()
    pairs = Pairer.spec(inputs=[words])
    sink = FailsB.spec(inputs=[pairs])


def test_a_tuple_anchored_to_two_trees_completes_or_fails_both():
    result = run_topology(Paired, {"words": [("a",), ("b",), ("c",), ("d",), ("e",)]})
    assert result.values("pairs") == [("ab",), ("cd",)]
    assert result.failed == {"words": [0, 1]}  # "ab" failed: both of its trees
    assert result.acked == {"words": [2, 3]}  # "cd" acked: both complete
    assert result.pending == {"words": [4]}  # "e" is still held
