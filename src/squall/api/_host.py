"""The contract between a component and whatever hosts it (runtime, engine, harness)."""

from __future__ import annotations

from typing import Any, Optional, Protocol, Sequence

# Storm's multi-lang log levels.
TRACE, DEBUG, INFO, WARN, ERROR = 0, 1, 2, 3, 4

LEVELS = {
    "trace": TRACE,
    "debug": DEBUG,
    "info": INFO,
    "warn": WARN,
    "warning": WARN,
    "error": ERROR,
    "critical": ERROR,
}


class ComponentHost(Protocol):
    """What a component calls to reach the outside world.

    Implemented by the multi-lang runtime (writes protocol messages), the embedded
    engine's task process (routes tuples) and ``squall.testing`` (records calls).
    Hosts must accept calls from any thread: user code may emit from threads it
    starts. Tuple ids are opaque to components: whatever the host put in
    ``Tuple.id`` comes back unchanged in ``anchors``, ``ack`` and ``fail``.

    Optional methods, looked up once when the component is prepared (a host
    without them gets one call per tuple): ``ack_many(ids)`` (a batch's auto-acks)
    and ``emit_many(stream, tuples, size, anchors, direct_task) -> int``, which
    emits ``tuples`` in order (no ids, no task ids asked, the same anchors) while
    each is an exact ``list`` of ``size`` values, and returns how many it emitted;
    ``bind_emit(component, emit)``, which returns the callable a bolt or spout
    installs as its ``emit``: ``emit`` (its bound ``Bolt.emit`` or ``Spout.emit``)
    itself, or an object that runs the common call (a bolt's ``emit(values)``, a
    spout's ``emit(values, tup_id=x)``) exactly as that method would and passes
    every other call to ``emit``.
    """

    def emit(
        self,
        stream: str,
        values: list[Any],
        anchors: Sequence[Any],
        tup_id: Any,
        direct_task: Optional[int],
        need_task_ids: bool,
    ) -> Optional[list[int]]:
        """Send one tuple; return the receiving task ids when ``need_task_ids``."""
        ...

    def ack(self, tup_id: Any) -> None:
        """Ack the input tuple with this id."""
        ...

    def fail(self, tup_id: Any) -> None:
        """Fail the input tuple with this id."""
        ...

    def log(self, message: str, level: int) -> None:
        """Log ``message`` at a Storm level (0 trace .. 4 error)."""
        ...

    def report_error(self, message: str) -> None:
        """Report an error to the engine (Storm UI / squall's crash report)."""
        ...

    def fatal(self, error: BaseException) -> None:
        """Stop the component because ``error`` escaped a thread of user code."""
        ...
