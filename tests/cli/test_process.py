"""The real ``squall`` executable in a subprocess: version, help, errors, a short run."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import squall as squall_package
from tests.cli.test_main import all_commands


def squall_command() -> list[str]:
    """Return the installed console script, else ``python -m squall.cli``."""
    script = shutil.which("squall")
    return [script] if script else [sys.executable, "-m", "squall.cli"]


def squall(*args: str, cwd: Path | None = None, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("SQUALL_DEBUG", None)
    return subprocess.run([*squall_command(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def engine_available() -> bool:
    if importlib.util.find_spec("squall.engine") is None:
        return False
    import squall.engine

    return hasattr(squall.engine, "run_local")


def test_version():
    out = squall("--version")
    assert out.returncode == 0
    assert out.stdout.startswith(f"squall {squall_package.__version__} (Python {platform.python_version()})")


def test_help():
    out = squall("--help")
    assert out.returncode == 0
    assert out.stdout.startswith("Usage: squall [OPTIONS] COMMAND [ARGS]...")
    assert "Exit codes:" in out.stdout


@pytest.mark.parametrize("command", list(all_commands()), ids=" ".join)
def test_every_command_help_has_an_example(command):
    out = squall(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Example" in out.stdout


def test_bad_target_exits_1_with_one_line(project):
    out = squall("run", "nowhere.py", cwd=project)
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr == (f"Error: topology file 'nowhere.py' not found (looked in {project}); "
                          "pass an existing file, e.g. topologies/wordcount.py\n")


def test_ambiguous_target_lists_the_classes(project):
    (project / "other_flow.py").write_text((project / "small_flow.py").read_text().replace("Small", "Other"))
    out = squall("visualize", cwd=project)
    assert out.returncode == 1
    assert out.stderr == ("Error: several Topology classes found (other_flow.py:Other, small_flow.py:Small); "
                          "use 'file.py:Name' to pick one\n")


@pytest.mark.skipif(not engine_available(), reason="squall.engine.run_local is not there yet")
def test_run_until_idle_prints_logs_and_summary(project):
    out = squall("run", "small_flow.py", "--until-idle", "-t", "60", cwd=project)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Running Small (2 components, 3 tasks) for 60s"
    assert lines[1].startswith("Logs: ")
    assert "Small: " in out.stdout and "stopped when idle" in out.stdout
    assert "numbers (spout)" in out.stdout and "double (bolt)" in out.stdout
    assert Path(lines[1][len("Logs: "):]).is_dir()


@pytest.mark.skipif(not engine_available(), reason="squall.engine.run_local is not there yet")
def test_run_for_a_time(project):
    out = squall("run", "small_flow.py", "-t", "2", "--par", "double=1", cwd=project)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Running Small (2 components, 2 tasks) for 2s"
    assert "stopped at the time limit" in out.stdout
    assert [line for line in out.stdout.splitlines() if line != line.rstrip()] == []  # log-friendly


ENDLESS = '''
from squall import Bolt, Grouping, Spout, Topology


class Ticks(Spout):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        self.n += 1
        self.emit([self.n])


class Sink(Bolt):
    def process(self, tup):
        pass


class Endless(Topology):
    ticks = Ticks.spec()
    sink = Sink.spec(inputs={ticks: Grouping.SHUFFLE})
'''


@pytest.mark.skipif(not engine_available(), reason="squall.engine.run_local is not there yet")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_a_run_cleanly(project, signum):
    (project / "endless_flow.py").write_text(ENDLESS)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    proc = subprocess.Popen([*squall_command(), "run", "endless_flow.py"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in proc.stdout:  # click.echo flushes every line
            seen.append(line)
            if line.startswith("[") and " ticks: emitted=" in line:
                break  # the topology runs and reports progress
        assert seen and seen[0] == "Running Endless (2 components, 2 tasks) until Ctrl-C\n"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Stopping: draining pending tuples" in err
    assert "Endless: " in out and "stopped by Ctrl-C/SIGTERM" in out


def test_debug_shows_the_traceback(project):
    out = squall("-v", "run", "nowhere.py", cwd=project)
    assert out.returncode == 1
    assert "Traceback (most recent call last)" in out.stderr
    assert out.stderr.rstrip().splitlines()[-1].startswith("squall.config._target.TargetError: topology file")


@pytest.mark.skipif(not engine_available(), reason="squall.engine.run_local is not there yet")
def test_run_on_a_terminal_shows_the_live_table(project):
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([*squall_command(), "run", "small_flow.py", "-t", "2"], cwd=project, env=env,
                                stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "Small  " in text and "(Ctrl-C to stop)" in text  # the live table's heading
    assert "emitted/s" in text and "┏" in text                # rich table, not ASCII
    assert "stopped at the time limit" in text


@pytest.mark.skipif(not engine_available() or importlib.util.find_spec("squall.quickstart") is None,
                    reason="needs the engine and squall.quickstart")
def test_quickstart_project_runs_without_target(tmp_path):
    assert squall("quickstart", "demo", cwd=tmp_path).returncode == 0
    out = squall("run", "-t", "1", cwd=tmp_path / "demo")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Running WordCount (")
    assert "stopped at the time limit" in out.stdout
