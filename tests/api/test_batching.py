"""BatchingBolt: grouped batches flushed every n ticks, exactly n."""

import time

import pytest

from squall import BatchingBolt, TicklessBatchingBolt

from tests.api.fakes import prepared, tick, tup


class Batches(BatchingBolt):
    outputs = ["key", "n"]
    ticks_between_batches = 3

    def group_key(self, t):
        if t.values[0] == "no key":
            raise KeyError("no key")
        return t.values[0]

    def process_batch(self, key, tups):
        if key == "bad":
            raise ValueError("bad batch")
        self.emit([key, len(tups)])


def test_flush_after_exactly_n_ticks():
    bolt, host = prepared(Batches, outputs={"default": ["key", "n"]})
    for i, key in enumerate(["a", "b", "a"]):
        bolt._squall_on_tuple(tup(i, key))
    bolt._squall_on_tuple(tick("t1"))
    bolt._squall_on_tuple(tick("t2"))
    assert host.emissions == []
    bolt._squall_on_tuple(tick("t3"))
    assert sorted((e.values[0], e.values[1]) for e in host.emissions) == [("a", 2), ("b", 1)]
    batch_a = next(e for e in host.emissions if e.values[0] == "a")
    assert batch_a.anchors == (0, 2)
    assert sorted(a for a in host.acked if isinstance(a, int)) == [0, 1, 2]
    assert [a for a in host.acked if isinstance(a, str)] == ["t1", "t2", "t3"]


def test_failed_batch_fails_every_member():
    bolt, host = prepared(Batches, outputs={"default": ["key", "n"]})
    bolt._squall_on_tuple(tup(1, "bad"))
    bolt._squall_on_tuple(tup(2, "bad"))
    bolt._squall_on_tuple(tick())
    bolt._squall_on_tuple(tick())
    with pytest.raises(ValueError):
        bolt._squall_on_tuple(tick())
    assert host.failed == [1, 2]


def test_spec_sets_tick_frequency():
    assert Batches.spec().config == {"topology.tick.tuple.freq.secs": 1}
    assert Batches.spec(config={"topology.tick.tuple.freq.secs": 5}).config["topology.tick.tuple.freq.secs"] == 5


def test_a_failing_batch_does_not_drop_the_others():
    bolt, host = prepared(Batches, outputs={"default": ["key", "n"]})
    for i, key in enumerate(["a", "bad", "b"]):
        bolt._squall_on_tuple(tup(i, key))
    bolt._squall_on_tuple(tick())
    bolt._squall_on_tuple(tick())
    with pytest.raises(ValueError, match="bad batch"):
        bolt._squall_on_tuple(tick())
    assert host.failed == [1]
    assert sorted(e.values[0] for e in host.emissions) == ["a", "b"]
    assert sorted(a for a in host.acked if isinstance(a, int)) == [0, 2]


def test_group_key_raising_fails_the_tuple():
    bolt, host = prepared(Batches, outputs={"default": ["key", "n"]})
    with pytest.raises(KeyError):
        bolt._squall_on_tuple(tup(7, "no key"))
    assert host.failed == [7]
    assert bolt._squall_batches == {}


class Timed(TicklessBatchingBolt):
    outputs = ["key", "n"]
    secs_between_batches = 0.01
    exit_on_exception = False

    def group_key(self, t):
        return t.values[0]

    def process_batch(self, key, tups):
        if key == "bad":
            raise ValueError("bad batch")
        self.emit([key, len(tups)])


def _poll(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_tickless_bolt_goes_on_after_an_error_without_exit_on_exception():
    bolt, host = prepared(Timed, outputs={"default": ["key", "n"]})
    try:
        bolt._squall_on_tuple(tup(1, "bad"))
        _poll(lambda: host.failed == [1])
        bolt._squall_on_tuple(tup(2, "a"))
        _poll(lambda: 2 in host.acked)
        assert [e.values for e in host.emissions] == [("a", 1)]
        assert host.fatal_error is None
        assert len(host.errors) == 1 and "ValueError: bad batch" in host.errors[0]
    finally:
        bolt._squall_close()


def test_tickless_bolt_error_stops_the_task_with_exit_on_exception():
    class Strict(Timed):
        exit_on_exception = True

    bolt, host = prepared(Strict, outputs={"default": ["key", "n"]})
    try:
        bolt._squall_on_tuple(tup(1, "bad"))
        _poll(lambda: host.fatal_error)
        assert host.failed == [1]
        assert isinstance(host.fatal_error, ValueError)
        _poll(lambda: not bolt._squall_timer.is_alive())  # the timer stopped with the task
    finally:
        bolt._squall_close()
