"""Terminal detection and signal handling of squall run."""

import io
import os
import signal
import threading
import time

from squall.cli._run import _stop_on_signals
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
    with _stop_on_signals(stop, lambda: notes.append("stopping")):
        assert signal.getsignal(signal.SIGTERM) not in before
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5.0)
    assert notes == ["stopping"]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_second_signal_forces_keyboard_interrupt():
    stop = threading.Event()
    raised = False
    with _stop_on_signals(stop, lambda: None):
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
