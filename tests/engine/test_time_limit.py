"""A time limit starts the stop at the limit; the engine log says when and how long it took.

Asserted on the order of events in engine.log and on the recorded figures, not on durations.
"""

from __future__ import annotations

import re
from pathlib import Path

from squall import Grouping, Topology
from squall.engine import run_local
from tests.engine.components import Numbers, Sink


class Counting(Topology):
    numbers = Numbers.spec()
    sink = Sink.spec(inputs={numbers: Grouping.SHUFFLE})


def test_the_stop_begins_at_the_time_limit_before_any_task_stops(opts, tmp_path: Path) -> None:
    options = dict(opts, **{"test.count": 10**9, "test.tracked": False})
    result = run_local(Counting, time=1.0, options=options, log_dir=tmp_path / "run")
    lines = (tmp_path / "run" / "engine.log").read_text().splitlines()
    [stopping] = [i for i, line in enumerate(lines) if " stopping at t=" in line]
    assert re.search(r" stopping at t=\d+\.\d{3}s: time \(time limit 1s\)$", lines[stopping])
    stopped = [i for i, line in enumerate(lines) if re.search(r" task \d+ of '\w+' stopped$", line)]
    assert len(stopped) == 2 and stopping < min(stopped)  # logged before any task was told
    assert re.search(r" run finished \(time\) after \d+\.\ds; the stop took \d+\.\d\ds$", lines[-1])
    assert result.stop_reason == "time"
    assert result.stopping_at is not None and 1.0 <= result.stopping_at <= result.elapsed
    logged = float(re.search(r"t=(\d+\.\d+)s", lines[stopping]).group(1))  # type: ignore[union-attr]
    assert abs(logged - result.stopping_at) < 0.001


def test_a_run_stopped_by_its_event_records_when(opts, tmp_path: Path) -> None:
    import threading

    stop = threading.Event()
    stop.set()  # asked to stop before it began: the stop begins at the first look
    result = run_local(Counting, options=dict(opts, **{"test.count": 10}), stop_event=stop,
                       log_dir=tmp_path / "run")
    assert result.stop_reason == "stopped"
    assert result.stopping_at is not None and 0.0 <= result.stopping_at <= result.elapsed
    assert " stopping at t=" in (tmp_path / "run" / "engine.log").read_text()
