"""What a topology run produced, the same shape on every engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from squall.testing._recording import LogEntry
from squall.topology import DEFAULT_STREAM


@dataclass
class TopologyResult:
    """The outcome of ``run_topology``.

    ``emitted[component][stream]`` lists the values each component emitted, in order
    (on the embedded engine the order across tasks is not defined). ``acked``,
    ``failed`` and ``pending`` map each spout to the tuple ids whose trees completed,
    failed, or were still open when the run stopped (on the embedded engine: the
    list-fed spouts only). ``idle`` is False when the run stopped at its timeout.
    """

    engine: str
    emitted: dict[str, dict[str, list[tuple[Any, ...]]]] = field(default_factory=dict)
    acked: dict[str, list[Any]] = field(default_factory=dict)
    failed: dict[str, list[Any]] = field(default_factory=dict)
    pending: dict[str, list[Any]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    logs: dict[str, list[LogEntry]] = field(default_factory=dict)
    idle: bool = True

    def values(self, component: str, stream: str = DEFAULT_STREAM) -> list[tuple[Any, ...]]:
        """The values ``component`` emitted on ``stream`` (empty when it emitted none)."""
        return list(self.emitted.get(component, {}).get(stream, []))
