"""A run that lost tuples or crashed never exits 0, and says why on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_process import squall

POISON = '''
from squall import Bolt, Grouping, ReliableSpout, Topology


class Numbers(ReliableSpout):
    outputs = ["n"]
    max_fails = 1

    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        if self.n < 50:
            self.emit([self.n], tup_id=self.n)
            self.n += 1


class Poison(Bolt):
    outputs = ["n", "payload"]

    def process(self, tup):
        n = tup.values.n
        self.emit([n, (lambda: n) if n == 7 else n])


class Sink(Bolt):
    def process(self, tup):
        pass


class Poisoned(Topology):
    numbers = Numbers.spec()
    poison = Poison.spec(inputs={numbers: Grouping.SHUFFLE})
    sink = Sink.spec(inputs={poison: Grouping.SHUFFLE})
'''

BROKEN_INIT = '''
from squall import Bolt, Grouping, Spout, Topology


class Lines(Spout):
    outputs = ["line"]

    def next_tuple(self):
        self.emit(["a line"])


class Broken(Bolt):
    def __init__(self):
        raise RuntimeError("cannot build Broken: no settings")


class BrokenInit(Topology):
    lines = Lines.spec()
    broken = Broken.spec(inputs={lines: Grouping.SHUFFLE})
'''


def test_a_run_that_gave_up_on_tuples_exits_1_with_the_first_cause(tmp_path: Path) -> None:
    (tmp_path / "poisoned.py").write_text(POISON)
    out = squall("run", "poisoned.py", "--until-idle", "-t", "60", "--log-dir", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    error = out.stderr.splitlines()[-1]
    assert error.startswith(
        "Error: Poisoned: the spouts gave up on 1 tuple tree; first error: poison[2]: cannot send a tuple "
        "on stream 'default': field 'payload' holds a function the engine cannot carry"
    ), out.stderr
    assert error.endswith(f"see the logs in {tmp_path / 'logs'}")


def test_a_component_whose_init_raises_is_reported_with_its_exception_line(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(BROKEN_INIT)
    out = squall("run", "broken.py", "-t", "60", "--log-dir", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 1
    crashes = [line for line in out.stderr.splitlines() if line.startswith("crash:")]
    assert crashes and all(": RuntimeError: cannot build Broken: no settings (log: " in c for c in crashes), out.stderr
    assert "(last: task 1 of 'broken' crashed at" in out.stderr
    assert "RuntimeError: cannot build Broken: no settings); fix the error" in out.stderr
    # the spout flooding the dead bolt's inbox is stopped at once, not SIGKILLed after the shutdown timeout
    log = (tmp_path / "logs" / "engine.log").read_text()
    assert "task 2 of 'lines' stopped" in log and "killed at shutdown" not in log, log




@pytest.mark.parametrize("args, message", [
    (["-t", "nan"], "Error: Invalid value for '-t' / '--time': 'nan' is not a finite number of seconds > 0; write e.g. -t 30"),
    (["-t", "inf"], "Error: Invalid value for '-t' / '--time': 'inf' is not a finite number of seconds > 0; write e.g. -t 30"),
    (["-o", "topology.message.timeout.secs=.nan"],
     "Error: Invalid value for '-o' / '--option': -o 'topology.message.timeout.secs=.nan': "
     "conf 'topology.message.timeout.secs' must be a finite number >= 0.001, got nan"),
    (["-o", "topology.max.spout.pending=.inf"],
     "Error: Invalid value for '-o' / '--option': -o 'topology.max.spout.pending=.inf': "
     "conf 'topology.max.spout.pending' must be a finite number >= 0, got inf"),
    (["-o", "squall.engine.batch.size=.nan"],
     "Error: Invalid value for '-o' / '--option': -o 'squall.engine.batch.size=.nan': "
     "conf 'squall.engine.batch.size' must be a finite number >= 1, got nan"),
])
def test_bad_values_are_usage_errors_before_anything_starts(args: list[str], message: str, tmp_path: Path) -> None:
    from tests.cli.conftest import SMALL_TOPOLOGY

    (tmp_path / "small_flow.py").write_text(SMALL_TOPOLOGY)
    out = squall("run", "small_flow.py", *args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == "" and out.stderr.splitlines()[-1] == message
    assert not (tmp_path / ".squall").exists()


def test_a_bad_value_in_topology_config_fails_before_any_folder_is_created(tmp_path: Path) -> None:
    from tests.cli.conftest import SMALL_TOPOLOGY

    source = SMALL_TOPOLOGY.replace("class Small(Topology):", "class Small(Topology):\n    config = {'topology.message.timeout.secs': float('nan')}")
    (tmp_path / "small_flow.py").write_text(source)
    out = squall("run", "small_flow.py", cwd=tmp_path)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr == "Error: conf 'topology.message.timeout.secs' must be a finite number >= 0.001, got nan\n"
    assert not (tmp_path / ".squall").exists()


def test_sys_exit_in_user_code_at_import_is_an_import_error_exit_1(tmp_path: Path) -> None:
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\n")
    out = squall("run", "exits.py", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr == ("Error: cannot import 'exits' (exits.py): the module called sys.exit(3) while being "
                          'imported; guard that code with `if __name__ == "__main__":`\n')


SLOW_DRAIN = '''
import time

from squall import Bolt, Grouping, Spout, Topology


class Ids(Spout):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        self.n += 1
        self.emit([self.n], tup_id=self.n)


class Slow(Bolt):
    def process(self, tup):
        time.sleep(0.5)


class SlowDrain(Topology):
    config = {"topology.max.spout.pending": 50}
    ids = Ids.spec()
    slow = Slow.spec(inputs={ids: Grouping.SHUFFLE})
'''


def test_a_second_ctrl_c_stops_at_once_and_still_prints_the_summary(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess

    from tests.cli.test_process import squall_command

    (tmp_path / "slow_drain.py").write_text(SLOW_DRAIN)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    proc = subprocess.Popen([*squall_command(), "run", "slow_drain.py", "--log-dir", str(tmp_path / "logs")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:  # click.echo flushes every line
            if line.startswith("[") and " ids: emitted=" in line:
                break  # the topology runs (with 50 trees pending) and reports progress
        engine_log = tmp_path / "logs" / "engine.log"
        proc.send_signal(signal.SIGINT)
        assert proc.stderr.readline().startswith("Stopping: draining pending tuples")
        proc.send_signal(signal.SIGINT)  # the 50 pending tuples would take 25 s to drain
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Aborted" not in err
    assert "SlowDrain: " in out and "stopped by Ctrl-C/SIGTERM" in out
    assert "asked again to stop: killing the tasks without draining" in engine_log.read_text()
