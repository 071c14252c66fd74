"""Crashed tasks are restarted with fresh state; their tuples are replayed; budgets end runs."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from squall import Grouping, Topology
from squall.engine import run_local
from squall.errors import EngineError
from tests.engine.components import AlwaysCrash, CrashOnce, HugeCrash, CrashWhileDraining, Numbers, ReliableNumbers, Relay, Sink, Slow, read, wait_for


class Pipeline(Topology):
    numbers = ReliableNumbers.spec()
    relay = Relay.spec(inputs={numbers: Grouping.SHUFFLE}, par=2)
    sink = Sink.spec(inputs=[relay])


def test_sigkill_of_a_bolt_task_loses_nothing(opts, tmp_path):
    out = opts["test.dir"]
    options = dict(opts, **{"test.count": 300, "test.spout_delay": 0.003, "topology.message.timeout.secs": 2})
    killed = []

    def killer():
        wait_for(lambda: len(read(out, "sink-sink")) >= 50, timeout=30)
        victim = Pipeline.model.task_ids()["relay"][0]
        pid = read(out, f"pid-relay-{victim}")[0]["pid"]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    thread = threading.Thread(target=killer)
    thread.start()
    result = run_local(Pipeline, options=options, until_idle=True, idle_secs=1.0, log_dir=tmp_path / "r")
    thread.join()
    assert killed
    assert sorted({r["n"] for r in read(out, "spout-ack")}) == list(range(300))
    assert sorted({r["values"][0] for r in read(out, "sink-sink")}) == list(range(300))
    crash = [c for c in result.crashes if c.component == "relay"]
    assert len(crash) == 1 and crash[0].exit_code == -signal.SIGKILL and crash[0].restarted
    assert len(read(out, f"pid-relay-{crash[0].task}")) == 2  # initialize ran again in the new process
    assert result["relay"].restarts == 1


class CrashPipeline(Topology):
    numbers = ReliableNumbers.spec()
    crashy = CrashOnce.spec(inputs=[numbers])
    sink = Sink.spec(inputs=[crashy])


def test_exception_crash_is_reported_restarted_and_replayed(opts, tmp_path):
    out = opts["test.dir"]
    options = dict(opts, **{"test.count": 40, "topology.message.timeout.secs": 1.5})
    result = run_local(CrashPipeline, options=options, until_idle=True, idle_secs=1.0, log_dir=tmp_path / "r")
    assert sorted({r["n"] for r in read(out, "spout-ack")}) == list(range(40))
    assert sorted({r["values"][0] for r in read(out, "sink-sink")}) == list(range(40))
    (crash,) = result.crashes
    assert (crash.component, crash.exit_code, crash.restarted) == ("crashy", 1, True)
    assert "ZeroDivisionError: boom at n=5" in crash.error
    assert "boom at n=5" in crash.summary()
    assert "ZeroDivisionError" in crash.log_file.read_text()


def test_metrics_after_a_crash_sum_the_incarnations(opts, tmp_path):
    options = dict(opts, **{"test.count": 49, "topology.message.timeout.secs": 1.5})
    result = run_local(CrashPipeline, options=options, until_idle=True, idle_secs=1.0, log_dir=tmp_path / "r")
    (crash,) = result.crashes
    crashy = result["crashy"]
    assert crashy.restarts == 1
    # the first incarnation acked n=0..4 and failed n=5 (the tuples it received after 5 never
    # ran: they time out and are replayed); the second acked the 44 replays
    assert (crashy.acked, crashy.failed, crashy.executed) == (49, 1, 50)
    assert result.tasks[crash.task].acked == 49
    assert result["numbers"].acked == 49


def test_inputs_a_crashed_bolt_held_are_replayed_without_waiting_for_the_timeout(opts, tmp_path):
    out = opts["test.dir"]
    options = dict(opts, **{"test.count": 49, "topology.message.timeout.secs": 120})
    stop = threading.Event()
    all_acked = []

    def stopper():
        try:
            all_acked.append(wait_for(lambda: len(read(out, "spout-ack")) >= 49, timeout=20))
        finally:
            stop.set()

    thread = threading.Thread(target=stopper)
    thread.start()
    result = run_local(CrashPipeline, options=options, stop_event=stop, log_dir=tmp_path / "r")
    thread.join()
    assert all_acked, "the tuples the crashed task had received waited for the 120s message timeout"
    assert sorted(r["n"] for r in read(out, "spout-ack")) == list(range(49))
    assert (result["crashy"].acked, result["crashy"].failed, result["crashy"].restarts) == (49, 1, 1)


class Broken(Topology):
    numbers = Numbers.spec()
    broken = AlwaysCrash.spec(inputs=[numbers])


def test_a_task_that_keeps_crashing_ends_the_run_with_a_clear_error(opts, tmp_path):
    options = dict(opts, **{"squall.engine.max.restarts": 2, "test.count": 10**9})
    with pytest.raises(EngineError) as info:
        run_local(Broken, options=options, time=30, log_dir=tmp_path / "r")
    message = str(info.value)
    assert "task 1 of component 'broken' crashed 3 times within 60s" in message
    assert "RuntimeError: always broken" in message and "squall.engine.max.restarts" in message
    assert len(info.value.result.crashes) == 3
    assert info.value.result.stop_reason == "failed"


class SpoutCrash(Topology):
    numbers = ReliableNumbers.spec()
    sink = Sink.spec(inputs=[numbers])


def test_a_killed_spout_task_is_restarted(opts, tmp_path):
    out = opts["test.dir"]
    options = dict(opts, **{"test.count": 10_000_000, "test.spout_delay": 0.001})

    def killer():
        wait_for(lambda: len(read(out, "spout-ack")) >= 20, timeout=30)
        pid = wait_for(lambda: _spout_pid(tmp_path / "r"))
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: len([c for c in result_box if c]) or _restarted(tmp_path / "r"))
        stop.set()

    stop = threading.Event()
    result_box: list = []
    thread = threading.Thread(target=killer)
    thread.start()
    result = run_local(SpoutCrash, options=options, stop_event=stop, log_dir=tmp_path / "r")
    thread.join()
    assert result.stop_reason == "stopped"
    assert [(c.component, c.exit_code, c.restarted) for c in result.crashes] == [("numbers", -signal.SIGKILL, True)]


class StoppingCrash(Topology):
    config = {"squall.engine.drain.timeout.secs": 60, "topology.max.spout.pending": 20, "test.slow_secs": 0.02}
    numbers = CrashWhileDraining.spec()
    slow = Slow.spec(inputs=[numbers])


def test_a_spout_restarted_while_the_run_stops_stays_deactivated(opts, tmp_path):
    out = opts["test.dir"]
    stop = threading.Event()

    def stopper():
        wait_for(lambda: read(out, "spout-ack"), timeout=30)
        stop.set()

    thread = threading.Thread(target=stopper)
    thread.start()
    result = run_local(StoppingCrash, options=opts, stop_event=stop, log_dir=tmp_path / "r")
    thread.join()
    (crash,) = result.crashes
    assert (crash.component, crash.exit_code, crash.restarted) == ("numbers", 1, True)
    assert "RuntimeError: ack broke while draining" in crash.error
    assert result["numbers"].restarts == 1
    # only the first incarnation was activated and called next_tuple; the restarted one stayed
    # deactivated, so the drain did not wait for its 60s timeout
    life = read(out, "spout-life")
    assert [row["event"] for row in life] == ["activate", "next_tuple"], life
    assert result.elapsed < 60


def _spout_pid(run_dir):
    for line in (run_dir / "engine.log").read_text().splitlines():
        if "of 'numbers' (pid" in line:
            return int(line.split("(pid ")[1].split(",")[0])
    return None


def _restarted(run_dir):
    return "incarnation 1" in (run_dir / "engine.log").read_text()


class HugeError(Topology):
    numbers = Numbers.spec()
    broken = HugeCrash.spec(inputs=[numbers])


def test_a_huge_error_text_is_clipped_not_lost(opts, tmp_path):
    options = dict(opts, **{"squall.engine.max.restarts": 0, "test.count": 10})
    with pytest.raises(EngineError) as info:
        run_local(HugeError, options=options, time=30, log_dir=tmp_path / "r")
    error = info.value.result.crashes[0].error
    assert error is not None and "characters cut" in error
    assert error.rstrip().endswith(" the end")  # the exception line, at the end, is kept
    assert len(error) < 40_000
