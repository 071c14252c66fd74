"""Bolt semantics shared by every host: auto_anchor, auto_ack, auto_fail, ticks."""

import pytest

from squall import Bolt, TopologyError
from squall.testing import Emission, LogEntry

from tests.api.fakes import prepared, tick, tup


class Echo(Bolt):
    outputs = ["x"]

    def process(self, t):
        self.emit([t.values[0]])


class Boom(Bolt):
    outputs = ["x"]

    def process(self, t):
        raise RuntimeError("boom")


def test_emit_is_anchored_and_input_acked():
    bolt, host = prepared(Echo)
    bolt._squall_on_tuple(tup("a", 1))
    assert host.emissions == [Emission("default", (1,), anchors=("a",))]
    assert host.acked == ["a"]


def test_auto_flags_off():
    class Manual(Echo):
        auto_anchor = False
        auto_ack = False

    bolt, host = prepared(Manual)
    bolt._squall_on_tuple(tup("a", 1))
    assert host.emissions[0].anchors == () and host.acked == []


def test_exception_fails_input_and_propagates():
    bolt, host = prepared(Boom)
    with pytest.raises(RuntimeError, match="boom"):
        bolt._squall_on_tuple(tup("a", 1))
    assert host.failed == ["a"] and host.acked == []


def test_explicit_anchors_accept_tuples_and_ids():
    bolt, host = prepared(Echo)
    bolt.emit([1], anchors=[tup("a", 1), "b"])
    assert host.emissions[0].anchors == ("a", "b")


def test_emit_outside_process_is_unanchored():
    bolt, host = prepared(Echo)
    bolt.emit([1])
    assert host.emissions[0].anchors == ()


def test_tick_is_processed_then_acked():
    seen = []

    class Ticker(Bolt):
        def process_tick(self, t):
            seen.append(t.is_tick)

    bolt, host = prepared(Ticker)
    bolt._squall_on_tuple(tick("t1"))
    assert seen == [True] and host.acked == ["t1"]


def test_emit_checks_stream_and_arity():
    bolt, _ = prepared(Echo)
    with pytest.raises(TopologyError, match="emit on undeclared stream 'nope' \\(declared: 'default'\\)"):
        bolt.emit([1], stream="nope")
    with pytest.raises(TopologyError, match="emit of 2 value\\(s\\) on stream 'default', which declares 1 field\\(s\\)"):
        bolt.emit([1, 2])
    with pytest.raises(TypeError, match="emit\\(\\) takes a list of values, got str"):
        bolt.emit("word")


def test_log_levels_and_logger():
    bolt, host = prepared(Echo)
    bolt.log("hi")
    bolt.log("careful", level="warn")
    bolt.logger.error("bad %s", "thing")
    bolt.logger.debug("dbg")
    assert host.logs == [LogEntry(2, "hi"), LogEntry(3, "careful"), LogEntry(4, "bad thing"), LogEntry(1, "dbg")]
    with pytest.raises(ValueError, match="log level 'loud' is not one of"):
        bolt.log("x", level="loud")


def test_raise_exception_reports_traceback():
    bolt, host = prepared(Echo)
    try:
        raise KeyError("k")
    except KeyError as exc:
        bolt.raise_exception(exc, tup("a", 1))
    assert "KeyError: 'k'" in host.errors[0] and "while processing" in host.errors[0]


def test_attributes_set_before_initialize():
    seen = {}

    class Init(Bolt):
        def initialize(self, conf, context):
            seen.update(task=self.task_id, name=self.component_name, conf=conf, ctx=context["taskid"])

    prepared(Init, conf={"k": 1})
    assert seen == {"task": 1, "name": "c", "conf": {"k": 1}, "ctx": 1}
