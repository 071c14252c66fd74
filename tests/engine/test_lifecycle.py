"""Conf, context, logs, activation, idle detection, stop requests and orphan-free shutdown."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import psutil
import pytest

from squall import Topology
from squall.engine import run_local
from squall.errors import ConfigError, EngineError
from tests.engine.components import ConfRecorder, Numbers, Sink, read, wait_for


class Configured(Topology):
    config = {"test.custom": "topology", "topology.message.timeout.secs": 12}
    numbers = Numbers.spec()
    recorder = ConfRecorder.spec(inputs=[numbers], par=2, config={"test.own": "mine"})


def test_conf_precedence_context_and_task_logs(opts, tmp_path):
    options = dict(opts, **{"test.custom": "option"})
    result = run_local(Configured, options=options, time=1.0, log_dir=tmp_path / "r")
    rows = sorted(read(opts["test.dir"], "conf"), key=lambda r: r["task"])
    tasks = Configured.model.task_ids()["recorder"]
    assert [r["task"] for r in rows] == tasks == [r["context_task"] for r in rows]
    assert all(r["custom"] == "option" and r["own"] == "mine" and r["timeout"] == 12 for r in rows)
    assert rows[0]["tasks"] == tasks
    assert result.log_dir == tmp_path / "r"
    log = (tmp_path / "r" / f"recorder-{tasks[0]}.log").read_text()
    for text in ("hello from print", "hello from self.log", "hello from logger"):
        assert text in log
    assert (tmp_path / "r" / "engine.log").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"squall.engine.batch.size": "x"}, "conf 'squall.engine.batch.size' must be a finite number >= 1, got 'x'"),
        ({"topology.max.spout.pending": -1}, "conf 'topology.max.spout.pending' must be a finite number >= 0, got -1"),
        ({"squall.engine.metrics.interval.secs": 0.005}, "must be a finite number >= 0.01, got 0.005"),
        ({"topology.tick.tuple.freq.secs": 0}, "conf 'topology.tick.tuple.freq.secs' must be a finite number >= 0.001"),
    ],
)
def test_bad_engine_conf_is_one_error_before_any_task_starts(tmp_path, options, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_local(Configured, options=options, time=1.0, log_dir=tmp_path / "r")
    assert not (tmp_path / "r" / "engine.log").exists()


class BadComponentConf(Topology):
    numbers = Numbers.spec()
    sink = Sink.spec(inputs=[numbers], config={"squall.engine.batch.size": 0})


def test_bad_engine_conf_of_one_component_names_it(tmp_path):
    with pytest.raises(ConfigError, match="^component 'sink': conf 'squall.engine.batch.size' must be a finite number >= 1, got 0$"):
        run_local(BadComponentConf, time=1.0, log_dir=tmp_path / "r")


def test_an_unusable_log_dir_is_one_neutral_error_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "r"
    message = f"cannot use the log directory {target}: Not a directory; choose another log directory"
    with pytest.raises(EngineError, match=f"^{re.escape(message)}$"):
        run_local(Configured, time=1.0, log_dir=target)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_log_dir_is_refused_before_any_task_starts(tmp_path):
    target = tmp_path / "r"
    target.mkdir()
    target.chmod(0o500)
    try:
        with pytest.raises(EngineError, match=r"log directory .*: Permission denied; choose another log directory$"):
            run_local(Configured, time=1.0, log_dir=target)
    finally:
        target.chmod(0o700)


def test_max_spout_pending_zero_means_no_limit_as_on_storm(opts, tmp_path):
    options = dict(opts, **{"topology.max.spout.pending": 0, "test.count": 50})
    result = run_local(Configured, options=options, until_idle=True, idle_secs=0.3, log_dir=tmp_path / "r")
    assert result.crashes == ()
    assert result["numbers"].acked == 50


def test_spouts_are_activated_then_deactivated_and_idle_runs_end(opts, tmp_path):
    progress = []
    result = run_local(Configured, options=dict(opts, **{"test.count": 30}), until_idle=True, idle_secs=1.5,
                       log_dir=tmp_path / "r", on_progress=progress.append)
    assert result.stop_reason == "idle"
    assert [r["event"] for r in read(opts["test.dir"], "spout-life")] == ["activate", "deactivate"]
    assert result["numbers"].acked == 30 and result["recorder"].executed == 30
    assert progress and progress[-1].components["numbers"].emitted <= 30


def test_stop_event_stops_a_run_without_time_limit(opts, tmp_path):
    stop = threading.Event()
    threading.Timer(0.7, stop.set).start()
    result = run_local(Configured, options=dict(opts, **{"test.count": 10**9}), stop_event=stop, log_dir=tmp_path / "r")
    assert result.stop_reason == "stopped"
    assert result["numbers"].emitted > 0


_SCRIPT = """
import sys, threading
sys.path.insert(0, {root!r})
from squall.engine import run_local, stop_on_signals
from tests.engine.lifecycle_topology import Forever
options = {{"test.dir": {out!r}, "squall.engine.pdeathsig": {pdeathsig}}}
with stop_on_signals(threading.Event()) as stop:
    result = run_local(Forever, options=options, stop_event=stop, log_dir={logs!r})
print("stopped", result.stop_reason, flush=True)
"""


def _start_engine(tmp_path, pdeathsig=True):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = _SCRIPT.format(root=root, out=str(out), pdeathsig=pdeathsig, logs=str(tmp_path / "logs"))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root)
    engine = psutil.Process(proc.pid)
    tasks = wait_for(lambda: engine.children() if len(engine.children()) == 3 else None)
    wait_for(lambda: len(read(out, "sink-sink")) > 5)
    return proc, tasks


def _all_gone(tasks):
    return all(not t.is_running() or t.status() == psutil.STATUS_ZOMBIE for t in tasks)


@pytest.mark.parametrize("pdeathsig", [True, False], ids=["pdeathsig", "pipe-only"])
def test_no_orphans_when_the_engine_is_killed(tmp_path, pdeathsig):
    proc, tasks = _start_engine(tmp_path, pdeathsig)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    wait_for(lambda: _all_gone(tasks), timeout=10)


def test_sigterm_stops_the_engine_cleanly(tmp_path):
    proc, tasks = _start_engine(tmp_path)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped stopped" in out
    assert _all_gone(tasks)
    assert [r["event"] for r in read(tmp_path / "out", "spout-life")] == ["activate", "deactivate"]
