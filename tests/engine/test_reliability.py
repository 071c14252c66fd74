"""Storm's at-least-once processing: acks, explicit fails, timeouts, max spout pending."""

from __future__ import annotations

import pytest

from squall import Grouping, Topology
from squall.engine import run_local
from squall.errors import EngineError
from tests.engine.components import (
    AckThenEmit,
    DoubleAck,
    FailFirstTime,
    NeverAck,
    Numbers,
    ReliableNumbers,
    Relay,
    Sink,
    read,
)


class FailOnce(Topology):
    numbers = ReliableNumbers.spec()
    flaky = FailFirstTime.spec(inputs={numbers: Grouping.fields("n")}, par=2)
    sink = Sink.spec(inputs={flaky: Grouping.SHUFFLE})


def test_explicit_fails_are_replayed_until_every_id_is_acked(opts, tmp_path):
    result = run_local(FailOnce, options=dict(opts, **{"test.count": 50}), until_idle=True, idle_secs=0.5, log_dir=tmp_path / "r")
    acked = sorted(r["n"] for r in read(opts["test.dir"], "spout-ack"))
    failed = sorted(r["n"] for r in read(opts["test.dir"], "spout-fail"))
    assert acked == list(range(50))
    assert failed == list(range(50))  # each failed exactly once: fields grouping sends the replay to the same task
    assert sorted({r["values"][0] for r in read(opts["test.dir"], "sink-sink")}) == list(range(50))
    assert result["numbers"].acked == 50 and result["numbers"].failed == 50
    assert result["flaky"].failed == 50


class Hold(Topology):
    numbers = Numbers.spec()
    relay = Relay.spec(inputs=[numbers], par=2)
    hold = NeverAck.spec(inputs=[relay])


def test_tuples_never_acked_fail_after_the_message_timeout(opts, tmp_path):
    options = dict(opts, **{"test.count": 10, "topology.message.timeout.secs": 1})
    result = run_local(Hold, options=options, time=3.5, log_dir=tmp_path / "r")
    assert sorted(r["n"] for r in read(opts["test.dir"], "held")) == list(range(10))
    assert sorted(r["n"] for r in read(opts["test.dir"], "spout-fail")) == list(range(10))
    assert read(opts["test.dir"], "spout-ack") == []
    assert result["numbers"].failed == 10 and result["numbers"].acked == 0


def test_max_spout_pending_bounds_tuples_in_flight(opts, tmp_path):
    options = dict(opts, **{"test.count": 1000, "topology.max.spout.pending": 7, "topology.message.timeout.secs": 60,
                            "squall.engine.drain.timeout.secs": 0.2})
    result = run_local(Hold, options=options, time=1.5, log_dir=tmp_path / "r")
    assert result["numbers"].emitted == 7
    assert len(read(opts["test.dir"], "held")) == 7


class Untracked(Topology):
    numbers = Numbers.spec()
    hold = NeverAck.spec(inputs=[numbers])


def test_tuples_without_id_are_not_tracked(opts, tmp_path):
    options = dict(opts, **{"test.count": 20, "test.tracked": False, "topology.max.spout.pending": 5,
                            "topology.message.timeout.secs": 0.5})
    result = run_local(Untracked, options=options, until_idle=True, idle_secs=1.0, log_dir=tmp_path / "r")
    assert result.stop_reason == "idle"
    assert result["numbers"].emitted == 20  # max.spout.pending ignores untracked tuples
    assert read(opts["test.dir"], "spout-fail") == [] and read(opts["test.dir"], "spout-ack") == []


class Doubles(Topology):
    numbers = Numbers.spec()
    twice = DoubleAck.spec(inputs=[numbers])


def test_acking_an_unknown_id_is_a_clear_error(opts, tmp_path):
    options = dict(opts, **{"squall.engine.max.restarts": 0})
    with pytest.raises(EngineError, match="crashed 1 time within"):
        run_local(Doubles, options=options, time=20, log_dir=tmp_path / "r")
    log = (tmp_path / "r" / "engine.log").read_text()
    assert "twice: ack() of tuple id" in log and "ack or fail each input tuple once" in log


class EmitAfterAck(Topology):
    numbers = Numbers.spec()
    late = AckThenEmit.spec(inputs=[numbers])
    sink = Sink.spec(inputs=[late])


def test_emit_anchored_to_an_acked_input_is_a_clear_error(opts, tmp_path):
    options = dict(opts, **{"squall.engine.max.restarts": 0})
    with pytest.raises(EngineError, match="crashed 1 time within"):
        run_local(EmitAfterAck, options=options, time=20, log_dir=tmp_path / "r")
    log = (tmp_path / "r" / "engine.log").read_text()
    assert "emit anchored to unknown tuple id" in log and "anchor to live input tuples" in log
