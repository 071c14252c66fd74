"""Every grouping routes as Storm routes it (real task processes, recorded by sinks)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from squall import Grouping, Topology
from squall.engine import run_local
from squall.errors import EngineError
from tests.engine.components import DirectNumbers, Numbers, Sink, read

N = 60


class AllGroupings(Topology):
    numbers = Numbers.spec()
    shuffled = Sink.spec(inputs={numbers: Grouping.SHUFFLE}, par=2)
    local = Sink.spec(inputs={numbers: Grouping.LOCAL_OR_SHUFFLE}, par=2)
    nogroup = Sink.spec(inputs={numbers: Grouping.NONE}, par=2)
    by_key = Sink.spec(inputs={numbers: Grouping.fields("key")}, par=3)
    globally = Sink.spec(inputs={numbers: Grouping.GLOBAL}, par=2)
    to_all = Sink.spec(inputs={numbers: Grouping.ALL}, par=3)
    partial = Sink.spec(inputs={numbers: Grouping.partial_key("key")}, par=3)


def _run(opts, tmp_path, name="run"):
    options = dict(opts, **{"test.count": N, "test.record_task_ids": True})
    return run_local(AllGroupings, options=options, until_idle=True, idle_secs=0.5, log_dir=tmp_path / name)


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("groupings")
    out = tmp_path / "out"
    out.mkdir()
    opts = {"test.dir": str(out), "squall.engine.metrics.interval.secs": 0.1}
    result = _run(opts, tmp_path)
    sinks = {}
    for name in AllGroupings.model.components:
        if name != "numbers":
            sinks[name] = [(r["task"], r["values"][0], r["values"][1]) for r in read(out, f"sink-{name}")]
    return result, sinks, out


def _tasks(name):
    return AllGroupings.model.task_ids()[name]


@pytest.mark.parametrize("name", ["shuffled", "local", "nogroup"])
def test_shuffle_kinds_deliver_each_tuple_once_spread_over_tasks(routed, name):
    result, sinks, _ = routed
    rows = sinks[name]
    assert sorted(n for _, n, _ in rows) == list(range(N))
    per_task = defaultdict(int)
    for task, _, _ in rows:
        per_task[task] += 1
    assert set(per_task) == set(_tasks(name))
    assert min(per_task.values()) >= N // 4  # evenly spread, not all on one task


def test_fields_grouping_sends_a_key_to_one_task(routed):
    _, sinks, _ = routed
    rows = sinks["by_key"]
    assert sorted(n for _, n, _ in rows) == list(range(N))
    owner = defaultdict(set)
    for task, _, key in rows:
        owner[key].add(task)
    assert all(len(tasks) == 1 for tasks in owner.values())
    assert len({next(iter(t)) for t in owner.values()}) > 1  # 7 keys over 3 tasks use more than one


def test_fields_grouping_is_stable_across_runs(routed, tmp_path, opts):
    _, sinks, _ = routed
    first = {key: task for task, _, key in sinks["by_key"]}
    _run(opts, tmp_path, "second")
    second = {r["values"][1]: r["task"] for r in read(opts["test.dir"], "sink-by_key")}
    assert first == second


def test_global_grouping_uses_the_lowest_task(routed):
    _, sinks, _ = routed
    rows = sinks["globally"]
    assert sorted(n for _, n, _ in rows) == list(range(N))
    assert {task for task, _, _ in rows} == {min(_tasks("globally"))}


def test_all_grouping_copies_to_every_task(routed):
    _, sinks, _ = routed
    rows = sinks["to_all"]
    for task in _tasks("to_all"):
        assert sorted(n for t, n, _ in rows if t == task) == list(range(N))


def test_partial_key_uses_at_most_two_tasks_per_key(routed):
    _, sinks, _ = routed
    rows = sinks["partial"]
    assert sorted(n for _, n, _ in rows) == list(range(N))
    owner = defaultdict(set)
    for task, _, key in rows:
        owner[key].add(task)
    assert all(1 <= len(tasks) <= 2 for tasks in owner.values())
    assert any(len(tasks) == 2 for tasks in owner.values())  # load is split for some key


def test_need_task_ids_returns_the_receiving_tasks(routed):
    _, sinks, out = routed
    emitted = {r["n"]: sorted(r["tasks"]) for r in read(out, "emit")}
    received = defaultdict(list)
    for rows in sinks.values():
        for task, n, _ in rows:
            received[n].append(task)
    assert len(emitted) == N
    for n, tasks in emitted.items():
        assert tasks == sorted(received[n])


def test_tracked_tuples_are_all_acked(routed):
    result, _, out = routed
    assert sorted(r["n"] for r in read(out, "spout-ack")) == list(range(N))
    assert result["numbers"].acked == N and result["numbers"].failed == 0
    assert result["to_all"].executed == 3 * N


class Direct(Topology):
    numbers = DirectNumbers.spec()
    target = Sink.spec(inputs={numbers["direct"]: Grouping.DIRECT}, par=3)


def test_direct_grouping_delivers_to_the_named_task(opts, tmp_path):
    options = dict(opts, **{"test.direct_consumer": "target", "test.count": 20})
    run_local(Direct, options=options, until_idle=True, idle_secs=0.5, log_dir=tmp_path / "run")
    sent = {r["n"]: r["task"] for r in read(opts["test.dir"], "direct-sent")}
    got = {r["values"][0]: r["task"] for r in read(opts["test.dir"], "sink-target")}
    assert len(sent) == 20 and sent == got
    assert set(got.values()) == set(Direct.model.task_ids()["target"])


class BadDirect(Topology):
    numbers = DirectNumbers.spec()
    target = Sink.spec(inputs={numbers["direct"]: Grouping.DIRECT}, par=1)
    other = Sink.spec(inputs={numbers["direct"]: Grouping.DIRECT}, par=1)


def test_direct_emit_to_a_task_not_reading_the_stream_is_a_clear_error(opts, tmp_path):
    # the spout targets tasks of 'numbers' itself, which does not read the stream
    options = dict(opts, **{"test.direct_consumer": "numbers", "squall.engine.max.restarts": 0})
    with pytest.raises(EngineError) as info:
        run_local(BadDirect, options=options, time=20, log_dir=tmp_path / "run")
    error = info.value.result.crashes[0].error
    assert "does not read that stream with Grouping.DIRECT" in error
