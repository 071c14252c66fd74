"""A ``ComponentHost`` that records every call a component makes, for tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

from squall.engine._carry import check_carried

EmitHook = Callable[[str, list[Any], Sequence[Any], Any, Optional[int], bool], Optional[list[int]]]


@dataclass(frozen=True)
class Emission:
    """One ``emit`` a component made: stream, values, anchors (input ids), spout tuple id."""

    stream: str
    values: tuple[Any, ...]
    anchors: tuple[Any, ...] = ()
    tup_id: Any = None
    direct_task: Optional[int] = None


@dataclass(frozen=True)
class LogEntry:
    """One ``log`` call: Storm level (0 trace .. 4 error) and message."""

    level: int
    message: str


@dataclass
class RecordingHost:
    """Record what a component emits, acks, fails, logs and reports.

    Implements :class:`squall.api.ComponentHost`; safe to call from any thread.
    ``on_emit``, when given, is called for each emit and its return value is the
    task id list handed back to ``need_task_ids`` emits (default: ``[]``).
    Every emit's values must survive the embedded engine's codec: one that cannot
    raises ``TopologyError`` at ``emit()``, naming ``component``, the stream, the
    field (from ``output_fields``) and the type.

    >>> host = RecordingHost()
    >>> host.ack(7); host.acked
    [7]
    """

    on_emit: Optional[EmitHook] = None
    component: str = "component"
    output_fields: Mapping[str, Sequence[str]] = field(default_factory=dict)
    emissions: list[Emission] = field(default_factory=list)
    acked: list[Any] = field(default_factory=list)
    failed: list[Any] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fatal_error: Optional[BaseException] = None
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def emit(
        self,
        stream: str,
        values: list[Any],
        anchors: Sequence[Any],
        tup_id: Any,
        direct_task: Optional[int],
        need_task_ids: bool,
    ) -> Optional[list[int]]:
        """Record one emit; return the receiving task ids when ``need_task_ids``."""
        check_carried(self.component, stream, self.output_fields.get(stream, ()), values)
        with self._lock:
            self.emissions.append(Emission(stream, tuple(values), tuple(anchors), tup_id, direct_task))
            task_ids = None
            if self.on_emit is not None:
                task_ids = self.on_emit(stream, values, anchors, tup_id, direct_task, need_task_ids)
        if need_task_ids:
            return list(task_ids or [])
        return None

    def ack(self, tup_id: Any) -> None:
        """Record an ack of the input with this id."""
        with self._lock:
            self.acked.append(tup_id)

    def fail(self, tup_id: Any) -> None:
        """Record a fail of the input with this id."""
        with self._lock:
            self.failed.append(tup_id)

    def log(self, message: str, level: int) -> None:
        """Record a log line."""
        with self._lock:
            self.logs.append(LogEntry(level, message))

    def report_error(self, message: str) -> None:
        """Record a reported error."""
        with self._lock:
            self.errors.append(message)

    def fatal(self, error: BaseException) -> None:
        """Record that the component must stop because ``error`` escaped user code."""
        with self._lock:
            self.fatal_error = error

    def mark(self) -> tuple[int, int, int, int, int]:
        """Return the current lengths of the records (to slice what one call added)."""
        with self._lock:
            return (len(self.emissions), len(self.acked), len(self.failed), len(self.logs), len(self.errors))
