"""BatchingBolt: grouped batches flushed every n ticks, exactly n."""

import pytest

from squall import BatchingBolt

from tests.api.fakes import prepared, tick, tup


class Batches(BatchingBolt):
    outputs = ["key", "n"]
    ticks_between_batches = 3

    def group_key(self, t):
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
    assert host.emits == []
    bolt._squall_on_tuple(tick("t3"))
    assert sorted((e["values"][0], e["values"][1]) for e in host.emits) == [("a", 2), ("b", 1)]
    batch_a = next(e for e in host.emits if e["values"][0] == "a")
    assert batch_a["anchors"] == [0, 2]
    assert sorted(a for a in host.acks if isinstance(a, int)) == [0, 1, 2]
    assert [a for a in host.acks if isinstance(a, str)] == ["t1", "t2", "t3"]


def test_failed_batch_fails_every_member():
    bolt, host = prepared(Batches, outputs={"default": ["key", "n"]})
    bolt._squall_on_tuple(tup(1, "bad"))
    bolt._squall_on_tuple(tup(2, "bad"))
    bolt._squall_on_tuple(tick())
    bolt._squall_on_tuple(tick())
    with pytest.raises(ValueError):
        bolt._squall_on_tuple(tick())
    assert host.fails == [1, 2]


def test_spec_sets_tick_frequency():
    assert Batches.spec().config == {"topology.tick.tuple.freq.secs": 1}
    assert Batches.spec(config={"topology.tick.tuple.freq.secs": 5}).config["topology.tick.tuple.freq.secs"] == 5
