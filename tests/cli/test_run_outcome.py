"""A run that lost tuples or crashed never exits 0, and says why on stderr."""

from __future__ import annotations

from pathlib import Path

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

