"""What a topology run produced, the same shape on every engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from squall.testing._recording import LogEntry
from squall.topology import DEFAULT_STREAM, TopologyModel


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
    streams: dict[str, tuple[str, ...]] = field(default_factory=dict)  # component -> declared streams

    def values(self, component: str, stream: str = DEFAULT_STREAM) -> list[tuple[Any, ...]]:
        """The values ``component`` emitted on ``stream`` (empty when it emitted none).

        Raises KeyError when the topology has no such component, or the component
        declares no such stream: a misspelt name fails the test instead of giving [].
        """
        if self.streams:
            if component not in self.streams:
                raise KeyError(f"the topology has no component {component!r}; "
                               f"its components are {', '.join(sorted(self.streams))}")
            if stream not in self.streams[component]:
                declared = ", ".join(repr(s) for s in self.streams[component]) or "none"
                raise KeyError(f"component {component!r} declares no stream {stream!r} (declared: {declared}); "
                               f"pass one of them: values({component!r}, stream=...)")
        return list(self.emitted.get(component, {}).get(stream, []))


def declared_streams(model: TopologyModel) -> dict[str, tuple[str, ...]]:
    """Return each component's declared stream names (for :meth:`TopologyResult.values`)."""
    return {name: tuple(comp.streams) for name, comp in model.components.items()}
