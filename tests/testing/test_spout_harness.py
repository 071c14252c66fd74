import pytest

from squall import Spout
from squall.testing import SpoutHarness
from tests.testing.topologies import Numbers


def test_next_tuple_records_ids_and_pending():
    spout = SpoutHarness(Numbers)
    result = spout.next_tuple(times=2)
    assert [(e.values, e.tup_id) for e in result.emissions] == [((0,), 0), ((1,), 1)]
    assert spout.pending == [0, 1]
    spout.ack(0)
    assert spout.pending == [1]


def test_reliable_spout_replays_failures_then_gives_up():
    spout = SpoutHarness(Numbers)
    spout.next_tuple()
    for _ in range(2):
        assert spout.fail(0).emissions == ()  # queued until the next next_tuple call
        replay = spout.next_tuple()
        assert [(e.values, e.tup_id) for e in replay.emissions] == [((0,), 0)]
        assert spout.pending == [0]
    given_up = spout.fail(0)
    assert given_up.emissions == () and spout.pending == []
    assert "giving up on tuple 0" in given_up.logs[0].message


def test_conf_reaches_initialize():
    spout = SpoutHarness(Numbers, conf={"numbers.limit": 1})
    assert len(spout.next_tuple(times=5).emissions) == 1
    assert spout.ack_all().emissions == () and spout.pending == []


def test_activate_deactivate_and_errors():
    class Flaky(Spout):
        outputs = ["x"]
        exit_on_exception = False

        def activate(self):
            self.active = True

        def deactivate(self):
            self.active = False

        def next_tuple(self):
            raise OSError("source down")

    spout = SpoutHarness(Flaky)
    spout.activate()
    assert spout.component.active
    result = spout.next_tuple(times=2)
    assert isinstance(result.error, OSError) and len(spout.errors) == 2
    spout.deactivate()
    assert not spout.component.active


def test_spout_exception_raises_by_default():
    class Broken(Spout):
        outputs = ["x"]

        def next_tuple(self):
            raise OSError("source down")

    with pytest.raises(OSError):
        SpoutHarness(Broken).next_tuple()
