"""Terminal detection and signal handling of squall run."""

import io
import os
import signal
import threading
import time

from squall.cli._stopping import StopSignals
from squall.cli._terminal import is_interactive


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_tty_is_interactive(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert is_interactive(FakeTTY())
    assert not is_interactive(io.StringIO())


def test_no_color_and_dumb_terminals_get_plain_output(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not is_interactive(FakeTTY())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not is_interactive(FakeTTY())


def test_sigterm_sets_the_stop_event_and_handlers_are_restored():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    stop, notes = threading.Event(), []
    with StopSignals(stop, lambda: notes.append("stopping")).installed():
        assert signal.getsignal(signal.SIGTERM) not in before
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5.0)
    assert notes == ["stopping"]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_second_signal_forces_keyboard_interrupt():
    stop = threading.Event()
    raised = False
    with StopSignals(stop).installed():
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.wait(5.0)
        deadline = time.monotonic() + 5.0
        try:
            os.kill(os.getpid(), signal.SIGINT)
            while time.monotonic() < deadline:  # the handler runs between bytecodes
                time.sleep(0.01)
        except KeyboardInterrupt:
            raised = True
    assert raised


def test_a_second_signal_inside_atomic_waits_for_the_block_to_end():
    stop, steps = threading.Event(), []
    signals = StopSignals(stop)
    with signals.installed():
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.wait(5.0)
        try:
            with signals.atomic():
                os.kill(os.getpid(), signal.SIGINT)
                deadline = time.monotonic() + 5.0
                while not signals._deferred:  # the handler runs between bytecodes
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                steps.append("the whole table was drawn")
            steps.append("not reached")
        except KeyboardInterrupt:
            steps.append("interrupted after the block")
    assert steps == ["the whole table was drawn", "interrupted after the block"]


def test_the_first_signal_writes_nothing_without_notify(capfd):
    stop = threading.Event()
    with StopSignals(stop).installed():
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.wait(5.0)
    assert capfd.readouterr() == ("", "")


def test_quiet_terminal_leaves_a_terminal_it_does_not_own_alone():
    import pty
    import termios

    from squall.cli._terminal import quiet_terminal

    leader, follower = pty.openpty()  # not this process's controlling terminal: as in the background
    try:
        with open(follower, "w", closefd=False) as stream:
            before = termios.tcgetattr(follower)
            with quiet_terminal(stream):
                assert termios.tcgetattr(follower) == before  # tcsetattr from the background would stop us
            with quiet_terminal(io.StringIO()):  # no terminal at all
                pass
    finally:
        os.close(leader)
        os.close(follower)
