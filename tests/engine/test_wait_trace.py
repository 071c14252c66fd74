"""A task's lifetime figures in its last log line, and the opt-in trace of its waits."""

from __future__ import annotations

import json
import re

from squall import Topology
from squall.engine import run_local
from squall.engine._task import WAIT_TRACE_ENV
from tests.engine.components import Numbers, Sink


class Pipe(Topology):
    numbers = Numbers.spec()
    sink = Sink.spec(inputs=[numbers])


def _exit_lines(logs):
    return [line for path in logs.glob("*.log") for line in path.read_text().splitlines() if " exiting with code " in line]


def test_the_last_log_line_counts_waits_their_time_and_context_switches(opts, tmp_path, monkeypatch):
    monkeypatch.delenv(WAIT_TRACE_ENV, raising=False)
    run_local(Pipe, options=dict(opts, **{"test.count": 50}), until_idle=True, idle_secs=0.5, log_dir=tmp_path / "r")
    lines = _exit_lines(tmp_path / "r")
    assert len(lines) == 2
    pattern = (r"\(\d+ messages received, \d+ executed, (\d+) waits \((\d+\.\d\d)s waiting\), \d+\.\d\ds CPU, "
               r"\d+\.\d\ds of it system, \d+ voluntary and \d+ involuntary context switches\)$")
    for line in lines:
        match = re.search(pattern, line)
        assert match, line
        assert int(match.group(1)) > 0 and float(match.group(2)) > 0.0  # idle until the run stopped: it waited
    assert not list(tmp_path.rglob("*.waits.json"))  # no trace unless asked


def test_the_wait_trace_has_every_wait_of_every_task(opts, tmp_path, monkeypatch):
    traces = tmp_path / "traces"
    traces.mkdir()
    monkeypatch.setenv(WAIT_TRACE_ENV, str(traces))
    run_local(Pipe, options=dict(opts, **{"test.count": 50, "topology.max.spout.pending": 10}), until_idle=True,
              idle_secs=0.5, log_dir=tmp_path / "r")
    tasks = Pipe.model.task_ids()
    spout, sink = tasks["numbers"][0], tasks["sink"][0]
    found = {path.name: json.loads(path.read_text()) for path in traces.glob("*.waits.json")}
    assert set(found) == {f"numbers-{spout}.waits.json", f"sink-{sink}.waits.json"}
    waits_in_log = {}
    for line in _exit_lines(tmp_path / "r"):
        match = re.search(r"task (\d+) of .*?, (\d+) waits", line)
        assert match, line
        waits_in_log[int(match.group(1))] = int(match.group(2))
    assert set(waits_in_log) == {spout, sink}
    for data in found.values():
        task = int(data["task"].split("[")[1].rstrip("]"))
        waits = data["waits"]
        assert len(waits) == waits_in_log[task] > 0
        assert all(start <= end for start, end, _ in waits)
        assert all(waits[i][1] <= waits[i + 1][0] for i in range(len(waits) - 1))  # one after the other
        pending = [p for *_, p in waits]
        if data["task"].startswith("numbers"):
            assert max(pending) <= 10 and min(pending) >= 0  # the spout's trees pending, never over the limit
        else:
            assert set(pending) == {-1}  # a bolt has no trees of its own


def test_a_wait_trace_that_cannot_be_written_is_a_warning_in_the_task_log(opts, tmp_path, monkeypatch):
    monkeypatch.setenv(WAIT_TRACE_ENV, str(tmp_path / "missing"))
    result = run_local(Pipe, options=dict(opts, **{"test.count": 5}), until_idle=True, idle_secs=0.5,
                       log_dir=tmp_path / "r")
    assert result.crashes == ()
    warnings = [line for path in (tmp_path / "r").glob("*.log") for line in path.read_text().splitlines()
                if "cannot write the wait trace" in line]
    assert len(warnings) == 2 and all(" WARN " in line and "missing" in line for line in warnings)
