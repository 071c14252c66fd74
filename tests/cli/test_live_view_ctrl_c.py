"""Ctrl-C on a terminal: the summary replaces the live table and nothing of the table stays.

`squall run` runs in a pseudo-terminal whose controlling process it is, as in a shell;
Ctrl-C is the byte 0x03 typed into the terminal, so the terminal's line discipline
raises SIGINT (and would echo ``^C`` and discard pending output, as a real one does).
Every byte squall writes is fed to pyte, a VT100 emulator; the assertions are on the
screen it ends up showing:

- the lines are exactly the run's two header lines, the summary (title, table, caption)
  and the closing ``Logs:`` line, in this order, nothing else;
- no line of the live table remains: no heading ("(Ctrl-C to stop)", "stopping:"), no
  "emitted/s" header, no ``^C``;
- the terminal's settings (echo on) are restored.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from tests.cli.test_process import ENDLESS, engine_available, squall_command
from tests.cli.test_run_outcome import SLOW_DRAIN

pyte = pytest.importorskip("pyte")
pytestmark = [pytest.mark.skipif(not engine_available(), reason="needs the embedded engine"),
              pytest.mark.slow]

TIMEOUT = 90.0


class Terminal:
    """A pseudo-terminal running one command as its session's foreground process."""

    def __init__(self, args: list[str], cwd: Path, columns: int = 100, lines: int = 40) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SQUALL_DEBUG")}
        env.update(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(lines))
        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower,
            start_new_session=True,  # its own session, with this terminal as controlling tty
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(follower)
        self.output = b""
        self.screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self.screen)

    def read_until(self, text: str, deadline: float) -> None:
        """Read output until ``text`` is on the screen; fail at ``deadline``."""
        while not any(text in line for line in self.screen.display):
            assert time.monotonic() < deadline, f"{text!r} never appeared:\n{self.text()}"
            self._read(0.1)

    def read_to_end(self, deadline: float) -> int:
        """Read until the command closes the terminal; return its exit code."""
        while self._read(max(0.0, deadline - time.monotonic())):
            assert time.monotonic() < deadline, f"still running:\n{self.text()}"
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))

    def type(self, data: bytes) -> None:
        os.write(self.leader, data)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display if line.strip()]

    def text(self) -> str:
        return "\n".join(self.lines())

    def echoes(self) -> bool:
        return bool(termios.tcgetattr(self.leader)[3] & termios.ECHO)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.leader)

    def _read(self, timeout: float) -> bool:
        if not select.select([self.leader], [], [], timeout)[0]:
            return True
        try:
            data = os.read(self.leader, 65536)
        except OSError:  # EIO: every process holding the terminal is gone
            return False
        self.output += data
        self._stream.feed(data)
        return bool(data)


def _assert_only_the_summary(lines: list[str], name: str) -> None:
    """The screen shows the header, then the summary, and nothing of the live table.

    A line longer than the terminal (the ``Logs:`` path) wraps onto the next screen
    line: its pieces are joined before comparing.
    """
    for stale in ("(Ctrl-C to stop)", "stopping:", "emitted/s", "^C"):
        assert not any(stale in line for line in lines), f"{stale!r} left on screen"
    [at] = [i for i, line in enumerate(lines) if line.startswith(f"{name}: ")]
    head, title, table, rest = lines[:at], lines[at], lines[at + 1:at + 7], lines[at + 7:]
    assert head[0] == f"Running {name} (2 components, 2 tasks) until Ctrl-C"
    logs = "".join(head[1:])
    assert logs.startswith("Logs: /")
    assert ", stopped by Ctrl-C/SIGTERM; stopping took " in title
    assert [line[0] for line in table] == ["┏", "┃", "┡", "│", "│", "└"]
    assert rest[0].startswith("latency: ") and "".join(rest[1:]) == logs


# 88 columns: the live table fills the width, so a ^C echoed at its end would wrap
@pytest.mark.parametrize("columns", [120, 88])
def test_ctrl_c_leaves_only_the_summary_on_screen(tmp_path: Path, columns: int) -> None:
    (tmp_path / "endless_flow.py").write_text(ENDLESS)
    deadline = time.monotonic() + TIMEOUT
    term = Terminal([*squall_command(), "run", "endless_flow.py"], tmp_path, columns)
    try:
        term.read_until("(Ctrl-C to stop)", deadline)
        term.read_until("ticks (spout)", deadline)  # a whole table is on screen
        term.type(b"\x03")
        assert term.read_to_end(deadline) == 0, term.text()
        assert term.echoes()
    finally:
        term.close()
    _assert_only_the_summary(term.lines(), "Endless")


def test_a_second_ctrl_c_while_draining_leaves_only_the_summary(tmp_path: Path) -> None:
    (tmp_path / "slow_drain.py").write_text(SLOW_DRAIN)
    deadline = time.monotonic() + TIMEOUT
    term = Terminal([*squall_command(), "run", "slow_drain.py"], tmp_path)
    try:
        term.read_until("slow (bolt)", deadline)
        term.type(b"\x03")
        term.read_until("stopping: draining pending tuples", deadline)  # said at once, in the heading
        term.type(b"\x03")  # 50 pending tuples would take 25 s to drain: stop now
        assert term.read_to_end(deadline) == 0, term.text()
        assert term.echoes()
    finally:
        term.close()
    _assert_only_the_summary(term.lines(), "SlowDrain")
