"""How ``squall run`` stops on SIGINT/SIGTERM without ever breaking the live view.

The first signal sets the run's stop event (a graceful stop: drain, then end the tasks);
a second one sets its kill event (stop now), when the run has one, else raises
``KeyboardInterrupt``; one more raises ``KeyboardInterrupt``. Events, not exceptions,
carry the requests an engine acts on: an exception raised between any two bytecodes
can land between two steps of the engine's stop and skip the rest of it. A signal
handler runs in the main thread between any two bytecodes, so it must not write to the
terminal while the main thread may be drawing the live table: the table would get a
foreign line in its middle and the live view, which clears what it drew by counting
lines, would leave stale lines on screen. So the handler writes only when asked to
(``notify``, for plain output), and a draw wrapped in :meth:`StopSignals.atomic` receives
a ``KeyboardInterrupt`` only once the table is whole.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["StopSignals"]


class StopSignals:
    """Turn SIGINT/SIGTERM into ``stop.set()``, then ``kill.set()`` (if given), then ``KeyboardInterrupt``.

    Install with :meth:`installed` (main thread only; elsewhere it does nothing). Not
    reentrant: one per run.

    >>> signals = StopSignals(threading.Event())
    >>> with signals.installed():
    ...     with signals.atomic():
    ...         pass  # draw the table: a second Ctrl-C waits until here
    """

    def __init__(self, stop: threading.Event, notify: Callable[[], None] | None = None,
                 kill: threading.Event | None = None) -> None:
        self.stop = stop
        self.kill = kill
        self._notify = notify
        self._atomic = 0  # nesting depth of atomic() blocks in the main thread
        self._deferred = False  # a second signal arrived inside atomic()

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        """Handle SIGINT and SIGTERM while the block runs; restore the old handlers after."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Hold a second signal's ``KeyboardInterrupt`` until the block ends (main thread)."""
        self._atomic += 1
        try:
            yield
        finally:
            self._atomic -= 1
        if not self._atomic and self._deferred:
            self._deferred = False
            raise KeyboardInterrupt

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.stop.is_set():
            self.stop.set()
            if self._notify is not None:
                self._notify()
        elif self.kill is not None and not self.kill.is_set():
            self.kill.set()
        elif self._atomic:
            self._deferred = True
        else:
            raise KeyboardInterrupt
