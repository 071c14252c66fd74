"""Spout and ReliableSpout."""

import pytest

from squall import ReliableSpout, Spout
from squall.errors import TopologyError
from squall.testing import Emission, RecordingHost

from tests.api.fakes import prepared


class Numbers(ReliableSpout):
    outputs = ["n"]
    max_fails = 2


def test_spout_emit_with_id_and_task_ids():
    host = RecordingHost(on_emit=lambda *emit: [4])
    spout, _ = prepared(Spout, outputs={"default": ["n"]}, host=host)
    assert spout.emit([1], tup_id=7, need_task_ids=True) == [4]
    assert host.emissions == [Emission("default", (1,), tup_id=7)]


def test_reliable_spout_replays_then_gives_up():
    spout, host = prepared(Numbers, outputs={"default": ["n"]})
    spout.emit([5], tup_id="a")
    spout.fail("a")
    assert len(host.emissions) == 1  # queued: the replay waits for the host's next call
    spout._squall_next_tuple()
    spout.fail("a")
    spout._squall_next_tuple()
    assert [e.values for e in host.emissions] == [(5,), (5,), (5,)]
    spout.fail("a")
    spout._squall_next_tuple()
    assert len(host.emissions) == 3
    assert "giving up on tuple 'a': failed 3 times (max_fails=2)" in host.logs[-1].message
    assert spout.unacked == {}


def test_reliable_spout_replays_before_new_tuples_and_only_when_asked():
    class Counting(Numbers):
        def initialize(self, conf, context):
            self.calls = 0

        def next_tuple(self):
            self.calls += 1

    spout, host = prepared(Counting, outputs={"default": ["n"]})
    for n in range(3):
        spout.emit([n], tup_id=n)
    for n in range(3):
        spout.fail(n)
    assert len(host.emissions) == 3  # failing emits nothing: a blocked spout stays bounded
    for _ in range(4):
        spout._squall_next_tuple()
    assert [e.tup_id for e in host.emissions[3:]] == [0, 1, 2] and spout.calls == 1


def test_reliable_spout_forgets_acked():
    spout, host = prepared(Numbers, outputs={"default": ["n"]})
    spout.emit([5], tup_id="a")
    spout.ack("a")
    spout.fail("a")
    assert len(host.emissions) == 1 and spout.unacked == {}


def test_reliable_spout_keeps_nothing_of_an_emit_that_raised():
    spout, host = prepared(Numbers, outputs={"default": ["n"]})
    with pytest.raises(TopologyError, match="emit on undeclared stream 'other'"):
        spout.emit([1], tup_id="a", stream="other")
    with pytest.raises(TopologyError, match="emit of 2 value"):
        spout.emit([1, 2], tup_id="b")
    assert spout.unacked == {} and host.emissions == []
