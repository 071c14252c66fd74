"""Tick tuples (topology-wide and per component) and BatchingBolt flushes."""

from __future__ import annotations

from squall import Grouping, Topology
from squall.engine import run_local
from tests.engine.components import CountBatches, Numbers, Sink, TickRecorder, read


class Ticking(Topology):
    numbers = Numbers.spec()
    ticker = TickRecorder.spec(inputs=[numbers])
    fast = TickRecorder.spec(inputs=[numbers], config={"topology.tick.tuple.freq.secs": 0.1})


def test_tick_tuples_arrive_at_the_configured_frequency(opts, tmp_path):
    options = dict(opts, **{"topology.tick.tuple.freq.secs": 0.5})
    run_local(Ticking, options=options, time=2.2, log_dir=tmp_path / "r")
    ticks = read(opts["test.dir"], "tick")
    tasks = Ticking.model.task_ids()
    slow = [t for t in ticks if t["task"] == tasks["ticker"][0]]
    fast = [t for t in ticks if t["task"] == tasks["fast"][0]]
    assert 3 <= len(slow) <= 5
    assert len(fast) >= 10
    tick = slow[0]  # values (freq,), as Storm sends them
    assert (tick["id"], tick["component"], tick["stream"], tick["source_task"], tick["values"]) == (None, "__system", "__tick", -1, [0.5])
    assert {t["values"][0] for t in fast} == {0.1}


def test_a_topology_wide_tick_frequency_reaches_bolts_only(opts, tmp_path):
    # on Storm a spout's code never sees tick tuples; here one used to crash every spout task
    options = dict(opts, **{"topology.tick.tuple.freq.secs": 0.1, "test.count": 20})
    result = run_local(Ticking, options=options, time=1.0, log_dir=tmp_path / "r")
    assert result.crashes == ()
    assert result["numbers"].emitted == 20
    assert read(opts["test.dir"], "tick")


def test_no_ticks_without_the_setting(opts, tmp_path):
    run_local(Ticking, options=opts, time=1.0, log_dir=tmp_path / "r")
    tasks = Ticking.model.task_ids()
    assert [t for t in read(opts["test.dir"], "tick") if t["task"] == tasks["ticker"][0]] == []


class Batches(Topology):
    numbers = Numbers.spec()
    batcher = CountBatches.spec(inputs={numbers: Grouping.fields("key")}, par=2,
                                config={"topology.tick.tuple.freq.secs": 0.2})
    sink = Sink.spec(inputs=[batcher])


def test_batching_bolt_flushes_on_ticks_and_acks_the_batch(opts, tmp_path):
    result = run_local(Batches, options=dict(opts, **{"test.count": 700}), until_idle=True, idle_secs=1.0,
                       log_dir=tmp_path / "r")
    rows = read(opts["test.dir"], "sink-sink")
    totals: dict[str, int] = {}
    for row in rows:
        key, count = row["values"]
        totals[key] = totals.get(key, 0) + count
    assert totals == {f"k{i}": 100 for i in range(7)}
    assert result["numbers"].acked == 700  # batch emits are anchored to the whole batch
