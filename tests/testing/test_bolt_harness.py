import pytest

from squall import Bolt, Stream
from squall.api import ERROR
from squall.errors import ComponentCrashed
from squall.testing import BoltHarness, make_tuple, tick_tuple
from tests.testing.topologies import Batcher, CountBolt, FailOnBoom, GoOnBolt, SplitBolt, WordCount


def test_process_emits_anchored_and_acks():
    bolt = BoltHarness(SplitBolt)
    result = bolt.process({"line": "a b"})
    assert result.values() == [("a",), ("b",)]
    assert [e.anchors for e in result.emissions] == [(result.input.id,)] * 2
    assert result.input_acked and not result.input_failed
    assert bolt.acked == [result.input.id]


def test_emits_per_stream():
    bolt = BoltHarness(SplitBolt, sources={"lines": ["line"]})
    result = bolt.process(["  "], source="lines")
    assert result.emitted == {"empty": [("  ",)]}
    assert result.input.component == "lines" and result.input.values.line == "  "


def test_state_survives_between_tuples():
    bolt = BoltHarness(CountBolt, sources={"split": ["word"]})
    bolt.process(["dog"])
    assert bolt.process(["dog"]).values() == [("dog", 2)]
    assert bolt.values() == [("dog", 1), ("dog", 2)]


def test_exception_fails_input_reports_and_raises():
    bolt = BoltHarness(FailOnBoom)
    with pytest.raises(ValueError, match="boom!"):
        bolt.process({"word": "boom"})
    assert bolt.failed == [1] and bolt.acked == []
    assert "ValueError: boom!" in bolt.errors[0]
    assert bolt.logs[-1].level == ERROR
    with pytest.raises(ComponentCrashed, match="make a new harness"):
        bolt.process({"word": "ok"})


def test_exit_on_exception_false_goes_on():
    bolt = BoltHarness(GoOnBolt)
    bad = bolt.process({"word": "boom"})
    assert isinstance(bad.error, ValueError) and bad.input_failed
    assert bolt.process({"word": "ok"}).values() == [("ok",)]
    assert len(bolt.errors) == 1


def test_tick_is_acked_and_batches_flush_every_n_ticks():
    bolt = BoltHarness(Batcher)
    first = bolt.process({"word": "a"})
    bolt.process({"word": "a"})
    assert first.emissions == () and bolt.acked == []
    one = bolt.tick()
    assert one.emissions == () and one.acked == (one.input.id,)
    two = bolt.tick()
    assert two.values() == [("a", 2)]
    assert set(two.acked) == {1, 2, two.input.id}
    assert two.emissions[0].anchors == (1, 2)


def test_flush_without_ticks():
    bolt = BoltHarness(Batcher)
    bolt.process({"word": "x"})
    assert bolt.flush().values() == [("x", 1)]


def test_log_and_raise_exception_are_recorded():
    class Chatty(Bolt):
        outputs = []

        def process(self, tup):
            self.log("hello", level="warn")
            self.logger.info("via logging")
            self.raise_exception(RuntimeError("soft"), tup)

    bolt = BoltHarness(Chatty)
    result = bolt.process(["x"])
    assert [(entry.level, entry.message) for entry in result.logs[:2]] == [(3, "hello"), (2, "via logging")]
    assert "RuntimeError: soft" in result.errors[0] and result.input_acked


def test_emit_with_explicit_anchors_and_manual_ack():
    class Manual(Bolt):
        outputs = ["v"]
        auto_ack = False

        def process(self, tup):
            self.emit([1], anchors=[])
            self.emit([2], anchors=[tup])

    bolt = BoltHarness(Manual)
    result = bolt.process(["x"])
    assert [e.anchors for e in result.emissions] == [(), (result.input.id,)]
    assert not result.input_acked


def test_from_topology_uses_real_context_and_field_names():
    bolt = BoltHarness.from_topology(WordCount, "count", task_index=2)
    assert bolt.context.task_id == WordCount.model.task_ids()["count"][2]
    assert bolt.process(["x"], source="split").input.values.word == "x"


def test_from_topology_task_index_out_of_range_names_the_parallelism():
    par = WordCount.model.components["count"].par
    with pytest.raises(IndexError, match=rf"'count' has {par} task\(s\) .*; use 0 to {par - 1}"):
        BoltHarness.from_topology(WordCount, "count", task_index=par)


def test_wrong_kind_is_a_clear_error():
    with pytest.raises(TypeError, match="use SpoutHarness"):
        from tests.testing.topologies import LineSpout

        BoltHarness(LineSpout)


def test_undeclared_stream_emit_raises_from_process():
    class Bad(Bolt):
        outputs = ["a", Stream(["b"], name="other")]

        def process(self, tup):
            self.emit([1], stream="nope")

    with pytest.raises(Exception, match="undeclared stream 'nope'"):
        BoltHarness(Bad).process(["x"])


def test_make_tuple_and_tick_tuple():
    t = make_tuple({"a": 1, "b": 2}, stream="s", id=9)
    assert (t.values.a, t.values.b, t.stream, t.id) == (1, 2, "s", 9)
    assert tick_tuple(5).values == (5,) and tick_tuple().is_tick
    with pytest.raises(ValueError, match="give one value per field"):
        make_tuple([1], fields=["a", "b"])
    with pytest.raises(TypeError, match=r"wrap it: make_tuple\(\['x'\]\)"):
        make_tuple("x")
