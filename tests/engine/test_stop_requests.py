"""Asked to stop once, a run drains; asked again, it kills its tasks at once and still returns its result.

The requests are events and counted Ctrl-Cs, never a ``KeyboardInterrupt`` raised into the
supervisor: such an exception could land between two steps of the stop (it did, as a flaky
"Aborted!" of ``squall run``), a counted request cannot.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from squall import Bolt, Grouping, Topology
from squall.engine import run_local
from squall.engine._stop_requests import StopRequests
from tests.engine.components import Numbers
from tests.engine.test_fork_safety import ROOT, a_thread_running

KILLED = "asked again to stop: killing the tasks without draining"


class Slow(Bolt):
    """Take 0.2 s per tuple: 20 pending trees need 4 s to drain."""

    outputs: list[Any] = []

    def process(self, tup: Any) -> None:
        time.sleep(0.2)


class SlowDrain(Topology):
    config = {"topology.max.spout.pending": 20, "squall.engine.drain.timeout.secs": 600}
    numbers = Numbers.spec()
    slow = Slow.spec(inputs={numbers: Grouping.SHUFFLE})


def _stop_once_emitted(stop: threading.Event, *also: threading.Event) -> Any:
    def on_progress(snapshot: Any) -> None:
        if snapshot.components["numbers"].emitted:
            stop.set()
            for event in also:
                event.set()

    return on_progress


def _undrained(result: Any) -> bool:
    """Whether trees were left pending: a drain would have acked every one."""
    numbers = result["numbers"]
    return bool(numbers.emitted) and numbers.acked < numbers.emitted


_CTRL_C_AS_THE_STOP_BEGINS = textwrap.dedent("""
    import signal, sys, threading
    sys.path.insert(0, {root!r})
    from squall.engine import run_local
    from squall.engine._supervisor import Supervisor
    from tests.engine.test_stop_requests import SlowDrain, _stop_once_emitted, _undrained

    noted = Supervisor._note_stop

    def second_ctrl_c_right_there(self, reason):
        noted(self, reason)
        signal.raise_signal(signal.SIGINT)  # where a raised KeyboardInterrupt used to escape the stop

    Supervisor._note_stop = second_ctrl_c_right_there
    stop = threading.Event()
    result = run_local(SlowDrain, options={options!r}, log_dir={logs!r}, stop_event=stop,
                       on_progress=_stop_once_emitted(stop))
    print(result.stop_reason, _undrained(result), signal.getsignal(signal.SIGINT) is signal.default_int_handler)
""")


def test_a_ctrl_c_as_the_stop_begins_kills_the_tasks_and_the_run_still_returns(
        opts: dict[str, Any], tmp_path: Path) -> None:
    # a fresh single-threaded interpreter: the script's own main thread, Python's own SIGINT handler
    script = _CTRL_C_AS_THE_STOP_BEGINS.format(root=ROOT, options=dict(opts, **{"test.count": 10**6}),
                                               logs=str(tmp_path / "run"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["stopped", "True", "True"]  # stopped, trees left undrained, handler restored
    assert KILLED in (tmp_path / "run" / "engine.log").read_text()


@pytest.mark.parametrize("threaded", [False, True], ids=["tasks forked by the caller", "by the zygote"])
def test_the_kill_event_skips_the_drain(opts: dict[str, Any], tmp_path: Path, threaded: bool) -> None:
    stop, kill = threading.Event(), threading.Event()
    with a_thread_running() if threaded else contextlib.nullcontext():  # a threaded caller: kill is relayed
        result = run_local(SlowDrain, options=dict(opts, **{"test.count": 10**6}), log_dir=tmp_path / "run",
                           stop_event=stop, kill_event=kill, on_progress=_stop_once_emitted(stop, kill))
    assert result.stop_reason == "stopped"
    assert KILLED in (tmp_path / "run" / "engine.log").read_text()
    assert _undrained(result)


def test_a_stop_event_alone_drains_every_pending_tree(opts: dict[str, Any], tmp_path: Path) -> None:
    stop = threading.Event()
    result = run_local(SlowDrain, options=dict(opts, **{"test.count": 10**6}), log_dir=tmp_path / "run",
                       stop_event=stop, on_progress=_stop_once_emitted(stop))
    assert KILLED not in (tmp_path / "run" / "engine.log").read_text()
    assert result["numbers"].emitted and result["numbers"].acked == result["numbers"].emitted


# -- the requests themselves ------------------------------------------------------------------


def test_a_first_ctrl_c_asks_to_stop_and_a_second_to_kill() -> None:
    requests = StopRequests(None, None)
    assert (requests.stop_asked(), requests.kill_asked()) == (False, False)
    requests.interrupted()
    assert (requests.stop_asked(), requests.kill_asked()) == (True, False)
    requests.interrupted()
    assert (requests.stop_asked(), requests.kill_asked()) == (True, True)


def test_a_ctrl_c_once_the_stop_began_asks_to_kill() -> None:
    requests = StopRequests(None, None)
    requests.begin_stopping()  # the time limit, say
    requests.interrupted()
    assert requests.kill_asked()


def test_the_events_ask_and_a_kill_is_a_stop_too() -> None:
    stop, kill = threading.Event(), threading.Event()
    requests = StopRequests(stop, kill)
    kill.set()
    assert (requests.stop_asked(), requests.kill_asked()) == (True, True)
    assert StopRequests(stop, None).stop_asked() is False
    stop.set()
    assert StopRequests(stop, None).stop_asked() is True


def test_ctrl_c_is_counted_in_the_block_and_python_s_handler_is_back_after() -> None:
    requests = StopRequests(None, None)
    with requests.ctrl_c():
        signal.raise_signal(signal.SIGINT)  # no KeyboardInterrupt
        signal.raise_signal(signal.SIGINT)
    assert requests.kill_asked()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)


def test_a_caller_s_own_sigint_handler_is_left_alone() -> None:
    def own(signum: int, frame: Any) -> None:
        calls.append(signum)

    calls: list[int] = []
    previous = signal.signal(signal.SIGINT, own)
    try:
        requests = StopRequests(None, None)
        with requests.ctrl_c():
            signal.raise_signal(signal.SIGINT)
        assert calls == [signal.SIGINT] and not requests.stop_asked()
    finally:
        signal.signal(signal.SIGINT, previous)
