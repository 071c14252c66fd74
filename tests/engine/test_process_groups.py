"""Processes a component starts never outlive the run, even when the engine is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psutil
import pytest

from squall import Bolt, Grouping, Topology
from squall.engine import run_local
from squall.engine._task import _engine_gone
from squall.engine._wiring import Wiring
from tests.engine.components import Numbers, read, wait_for


class StartsSleep(Bolt):
    """Start ``sleep 1000`` in initialize and record its pid and this task's process group."""

    def initialize(self, conf: Any, context: Any) -> None:
        self.child = subprocess.Popen(["sleep", "1000"])
        record_path = Path(conf["test.dir"]) / "sleep.jsonl"
        with open(record_path, "a", encoding="utf-8") as out:
            out.write(f'{{"pid": {self.child.pid}, "task_pid": {os.getpid()}, "pgid": {os.getpgid(0)}}}\n')

    def process(self, tup: Any) -> None:
        pass


class Sleeper(Topology):
    numbers = Numbers.spec()
    sleeper = StartsSleep.spec(inputs={numbers: Grouping.SHUFFLE})


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_each_task_leads_its_own_group_and_a_stopped_run_leaves_nothing(opts: dict[str, Any], tmp_path: Path) -> None:
    run_local(Sleeper, options=dict(opts, **{"test.count": 5}), time=1.0, log_dir=tmp_path / "r")
    (started,) = read(opts["test.dir"], "sleep")
    assert started["pgid"] == started["task_pid"] != os.getpgid(0)
    wait_for(lambda: gone(started["pid"]), timeout=20)


SCRIPT = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from squall.engine import run_local
    from tests.engine.test_process_groups import Sleeper
    run_local(Sleeper, options={{"test.dir": {out!r}, "test.count": 5}}, log_dir={logs!r})
''')


def test_processes_components_started_die_when_the_engine_is_sigkilled(opts: dict[str, Any], tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    script = SCRIPT.format(root=root, out=opts["test.dir"], logs=str(tmp_path / "r"))
    engine = subprocess.Popen([sys.executable, "-c", script])
    try:
        started = wait_for(lambda: read(opts["test.dir"], "sleep"), timeout=60)[0]
        engine.send_signal(signal.SIGKILL)
        engine.wait(10)
        wait_for(lambda: gone(started["pid"]) and gone(started["task_pid"]), timeout=20)
    finally:
        engine.kill()
        engine.wait(10)


def _wiring_with_control(task: int) -> Wiring:
    death_read, death_write = os.pipe()
    wiring = Wiring(parent_pid=os.getppid(), death_read=death_read, death_write=death_write)  # as in a task
    wiring.new_control(task)
    return wiring


def test_a_dying_engine_shows_first_by_the_control_socket_and_the_task_sees_it() -> None:
    """An engine being killed closes its descriptors before the kernel re-parents its tasks.

    In that window the parent pid and the death pipe still look alive; a task that
    exits then (its control socket read end of file) must still stop its group.
    """
    wiring = _wiring_with_control(5)
    try:
        assert not _engine_gone(wiring, 5)
        wiring.control_parent[5].close()  # the engine's end, as its exit closes it
        assert _engine_gone(wiring, 5)
        assert not _engine_gone(wiring, 6)  # no control socket: only the pid and the pipe say so
    finally:
        wiring.close()


def test_a_task_whose_control_socket_ends_leaves_quietly(tmp_path: Path) -> None:
    from squall.engine._supervisor import Supervisor
    from squall.engine._task import TaskHost, _Exit

    model = Sleeper.model.with_config({"test.dir": str(tmp_path), "test.count": 1})
    sup = Supervisor(model, tmp_path, time_limit=None, until_idle=False, idle_secs=1.0, on_progress=None)
    sup._build_plans()
    sup._build_wiring()
    try:
        plan = sup.plans[1]
        sup.wiring.new_control(plan.task)
        host = TaskHost(plan, sup.wiring)
        sup.wiring.control_parent[plan.task].close()
        with pytest.raises(_Exit) as stop:
            host._read_control()
        assert stop.value.code == 0  # not a crash: "Unpack failed: incomplete input" before
    finally:
        sup.wiring.close()
