"""What asks a run to stop, and how hard: the caller's events and Ctrl-C, read as one thing.

A run stops gracefully when asked once (the spouts are deactivated, pending trees may
finish) and at once when asked again (the tasks are killed without a drain). The caller
asks with ``stop_event`` and ``kill_event``. A Ctrl-C asks too, but only while Python's
own SIGINT handler is in place: a caller with its own handler (the CLI) owns its signals
and sets the events itself.

The Ctrl-C is counted by a handler, never raised as ``KeyboardInterrupt``: an exception
raised between any two bytecodes can land between two steps of the stop (after the watch
loop returned, before the drain began) and skip the rest of it; a counter cannot.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Optional, Protocol

__all__ = ["Flag", "StopRequests"]


class Flag(Protocol):
    """What a run needs of an event: ``threading.Event``, or the zygote's relay of one."""

    def is_set(self) -> bool:
        """Return whether it was set."""
        ...


class StopRequests:
    """The requests to stop one run: ``stop_event``, ``kill_event`` and Ctrl-C.

    A first Ctrl-C asks to stop; one after that, or once the run has begun stopping for
    any reason (its time limit, idleness, the stop event), asks to kill.

    >>> requests = StopRequests(threading.Event(), None)
    >>> with requests.ctrl_c():  # main thread, Python's default SIGINT handler: Ctrl-C is counted
    ...     requests.stop_asked(), requests.kill_asked()
    (False, False)
    """

    def __init__(self, stop_event: Optional[Flag], kill_event: Optional[Flag]) -> None:
        self._stop_event = stop_event
        self._kill_event = kill_event
        self._interrupts = 0  # Ctrl-Cs counted by interrupted(): 1 asks to stop, 2 to kill
        self._stopping = False

    def stop_asked(self) -> bool:
        """Return whether the run was asked to stop (a request to kill is one too)."""
        return bool(self._interrupts) or _is_set(self._stop_event) or self.kill_asked()

    def kill_asked(self) -> bool:
        """Return whether the run was asked to stop at once, without draining."""
        return self._interrupts > 1 or _is_set(self._kill_event)

    def begin_stopping(self) -> None:
        """Note that the run's stop began: a Ctrl-C from now on asks to kill."""
        self._stopping = True

    def interrupted(self) -> None:
        """Count one Ctrl-C: the first asks to stop, the next (or one while stopping) to kill."""
        self._interrupts = 2 if self._interrupts or self._stopping else 1

    @contextmanager
    def ctrl_c(self) -> Iterator[None]:
        """Count Ctrl-C as a request while the block runs, if Python's own SIGINT handler is in place.

        Elsewhere (another thread, a caller's own handler) it changes nothing. The old
        handler is back when the block ends.
        """
        if (threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
            yield
            return
        previous = signal.signal(signal.SIGINT, self._on_ctrl_c)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _on_ctrl_c(self, signum: int, frame: Optional[FrameType]) -> None:
        self.interrupted()


def _is_set(flag: Optional[Flag]) -> bool:
    return flag is not None and flag.is_set()
