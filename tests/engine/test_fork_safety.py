"""run_local from a process that runs threads: the tasks are forked by a zygote, nothing warns.

Python 3.12+ warns (DeprecationWarning) when a process with threads forks. That
warning cannot be turned into an error (CPython reports it after the fork and drops
an exception), so the tests record every warning and expect none; they also check,
by the tasks' parent pid, which path ran (on 3.11, the only proof).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import psutil
import pytest

from squall import Bolt, Grouping, Spout, Topology
from squall.engine import run_local
from squall.engine._zygote import threads_running
from squall.errors import EngineError
from tests.engine.components import AlwaysCrash, Numbers, read, record, wait_for
from tests.engine.lifecycle_topology import Forever

ROOT = str(Path(__file__).resolve().parents[2])


@contextmanager
def a_thread_running() -> Iterator[None]:
    """Run a background thread (as a notebook kernel or a web app does) for the block."""
    done = threading.Event()
    thread = threading.Thread(target=done.wait, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def local_topology() -> type[Topology]:
    """Return a topology whose classes exist only inside this function (not importable)."""

    class Count(Spout):
        outputs = ["n"]

        def initialize(self, conf: Any, context: Any) -> None:
            self.n = 0

        def next_tuple(self) -> None:
            if self.n < 40:
                self.n += 1
                self.emit([self.n], tup_id=self.n)

    class Parent(Bolt):
        def process(self, tup: Any) -> None:
            record(self.conf, "parent", n=tup.values[0], ppid=os.getppid())

    class Local(Topology):
        count = Count.spec()
        parent = Parent.spec(inputs={count: Grouping.SHUFFLE}, par=2)

    return Local


def test_a_threaded_caller_runs_local_classes_through_the_zygote_without_warnings(opts, tmp_path, capfd):
    progress: list[Any] = []
    with warnings.catch_warnings(record=True) as caught, a_thread_running():
        warnings.simplefilter("always")
        assert threads_running()
        result = run_local(local_topology(), options=opts, until_idle=True, idle_secs=1.2,
                           log_dir=tmp_path / "r", on_progress=progress.append)
    assert [str(w.message) for w in caught] == []
    assert result.stop_reason == "idle" and result.crashes == ()
    assert result["count"].acked == 40 and result["parent"].executed == 40
    rows = read(opts["test.dir"], "parent")
    assert sorted(r["n"] for r in rows) == list(range(1, 41))
    parents = {r["ppid"] for r in rows}
    assert len(parents) == 1 and os.getpid() not in parents  # forked by the zygote, not by us
    assert progress and progress[-1].topology == "Local"  # on_progress runs here, fed by the zygote
    assert (tmp_path / "r" / "engine.log").read_text().count("started task") == 3
    err = capfd.readouterr().err  # the zygote's stderr is ours: a clean end writes nothing there
    assert "Traceback" not in err and "SystemExit" not in err, err


def test_a_single_threaded_caller_forks_the_tasks_itself(opts, tmp_path):
    assert not threads_running()
    result = run_local(local_topology(), options=opts, until_idle=True, idle_secs=0.5, log_dir=tmp_path / "r")
    assert result["parent"].executed == 40
    assert {r["ppid"] for r in read(opts["test.dir"], "parent")} == {os.getpid()}


class Crashing(Topology):
    numbers = Numbers.spec()
    broken = AlwaysCrash.spec(inputs=[numbers])


def test_a_failed_run_raises_the_same_error_from_the_zygote(opts, tmp_path):
    options = dict(opts, **{"squall.engine.max.restarts": 1, "test.count": 10**9})
    with a_thread_running(), pytest.raises(EngineError, match=r"task \d+ of component 'broken' crashed 2 times") as info:
        run_local(Crashing, options=options, time=30, log_dir=tmp_path / "r")
    result = info.value.result  # type: ignore[attr-defined]
    assert result.stop_reason == "failed" and "always broken" in result.first_error


def test_a_stop_event_set_by_another_thread_stops_a_zygote_run(opts, tmp_path):
    stop = threading.Event()

    def stop_once_tuples_flow() -> None:
        wait_for(lambda: len(read(opts["test.dir"], "sink-sink")) > 5)
        stop.set()

    watcher = threading.Thread(target=stop_once_tuples_flow)  # a running thread: the zygote path
    watcher.start()
    try:
        result = run_local(Forever, options=opts, stop_event=stop, time=60, log_dir=tmp_path / "r")
    finally:
        stop.set()
        watcher.join()
    assert result.stop_reason == "stopped" and result["numbers"].emitted > 0
    assert [r["event"] for r in read(opts["test.dir"], "spout-life")] == ["activate", "deactivate"]


def test_a_class_that_cannot_be_shipped_is_one_clear_error(opts, tmp_path):
    class Locked(Numbers):
        guard = threading.Lock()  # a lock as class attribute: cloudpickle cannot ship it

    class Unshippable(Topology):
        numbers = Locked.spec()

    with a_thread_running(), pytest.raises(EngineError, match=(
        r"cannot send topology 'Unshippable' to the engine's zygote process \(TypeError: .*lock.*\); "
        r"this process runs threads, so the engine does not fork from it: make the components' classes picklable"
    )):
        run_local(Unshippable, options=opts, time=1.0, log_dir=tmp_path / "r")


_SCRIPT = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {root!r})
    from squall.engine import run_local, stop_on_signals
    from tests.engine.lifecycle_topology import Forever
    threading.Thread(target=threading.Event().wait, daemon=True).start()  # a threaded caller
    options = {{"test.dir": {out!r}}}
    if {signals}:
        with stop_on_signals(threading.Event()) as stop:
            result = run_local(Forever, options=options, stop_event=stop, log_dir={logs!r})
    else:
        result = run_local(Forever, options=options, log_dir={logs!r})  # Ctrl-C: KeyboardInterrupt
    print("stopped", result.stop_reason, flush=True)
""")


def _start_caller(tmp_path: Path, signals: bool = True) -> tuple[subprocess.Popen[str], psutil.Process, list[psutil.Process]]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    script = _SCRIPT.format(root=ROOT, out=str(out), logs=str(tmp_path / "logs"), signals=signals)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    caller = psutil.Process(proc.pid)
    zygote = wait_for(lambda: caller.children()[0] if caller.children() else None)
    tasks = wait_for(lambda: zygote.children() if len(zygote.children()) == 3 else None)
    wait_for(lambda: len(read(out, "sink-sink")) > 5)
    return proc, zygote, tasks


def _all_gone(procs: list[psutil.Process]) -> bool:
    def gone(p: psutil.Process) -> bool:
        try:
            return not p.is_running() or p.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    return all(gone(p) for p in procs)


def test_no_orphans_when_a_threaded_caller_is_sigkilled(tmp_path):
    proc, zygote, tasks = _start_caller(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    wait_for(lambda: _all_gone([zygote, *tasks]), timeout=10)


@pytest.mark.parametrize("signals", [True, False], ids=["stop_on_signals", "KeyboardInterrupt"])
def test_ctrl_c_stops_a_threaded_caller_cleanly(tmp_path, signals):
    proc, zygote, tasks = _start_caller(tmp_path, signals)
    proc.send_signal(signal.SIGINT)  # the terminal's Ctrl-C reaches the caller's process group only
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped stopped" in out
    assert _all_gone([zygote, *tasks])
    assert [r["event"] for r in read(tmp_path / "out", "spout-life")] == ["activate", "deactivate"]


def test_run_topology_on_the_embedded_engine_from_a_threaded_caller():
    from squall.testing import run_topology

    class Lines(Spout):
        outputs = ["line"]

    class Split(Bolt):
        outputs = ["word"]

        def process(self, tup: Any) -> None:
            for word in tup.values.line.split():
                self.emit([word])

    class Words(Topology):
        lines = Lines.spec()
        split = Split.spec(inputs={lines: Grouping.SHUFFLE}, par=2)

    with warnings.catch_warnings(record=True) as caught, a_thread_running():
        warnings.simplefilter("always")
        run = run_topology(Words, inputs={"lines": [("a b",), ("c d",)]}, engine="embedded")
    assert [str(w.message) for w in caught] == []
    assert sorted(run.emitted["split"]["default"]) == [("a",), ("b",), ("c",), ("d",)]
    assert sorted(run.acked["lines"]) == [0, 1]


def test_a_class_the_zygote_cannot_import_is_one_clear_error(opts, tmp_path):
    import importlib.util

    source = tmp_path / "elsewhere" / "ghost_components.py"
    source.parent.mkdir()
    source.write_text("from tests.engine.components import Numbers\n\nclass Ghost(Numbers):\n    pass\n")
    spec = importlib.util.spec_from_file_location("ghost_components", source)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["ghost_components"] = module  # importable here only: pickled by reference
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]

        class Haunted(Topology):
            ghost = module.Ghost.spec()

        with a_thread_running(), pytest.raises(EngineError, match=(
            r"the engine's zygote process cannot load the topology \(ModuleNotFoundError: "
            r"No module named 'ghost_components'\); define the components in an importable module"
        )):
            run_local(Haunted, options=opts, time=1.0, log_dir=tmp_path / "r")
    finally:
        del sys.modules["ghost_components"]


def test_a_zygote_killed_under_a_run_is_one_clear_error_and_leaves_nothing(opts, tmp_path):
    me = psutil.Process()
    before = set(me.children(recursive=True))
    killed: list[psutil.Process] = []

    def kill_the_zygote() -> None:
        zygote = wait_for(lambda: next((p for p in me.children() if p not in before), None))
        killed.extend([zygote, *wait_for(lambda: zygote.children() if len(zygote.children()) == 3 else None)])
        zygote.kill()

    killer = threading.Thread(target=kill_the_zygote)
    killer.start()
    try:
        with pytest.raises(EngineError, match=(
            r"the engine's zygote process exited with code -9 before the run ended; see .*engine\.log"
        )):
            run_local(Forever, options=opts, time=60, log_dir=tmp_path / "r")
    finally:
        killer.join()
    assert len(killed) == 4
    wait_for(lambda: _all_gone(killed), timeout=10)  # the tasks die with their zygote
