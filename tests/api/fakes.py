"""Helpers for unit tests of the API layer, on squall.testing's own recording host."""

from __future__ import annotations

from typing import Any, Optional

from squall.api import Component, TopologyContext, Tuple
from squall.testing import RecordingHost, make_tuple, tick_tuple


def context(component: str = "c", outputs: dict[str, list[str]] | None = None) -> TopologyContext:
    outputs = {"default": ["x"]} if outputs is None else outputs
    return TopologyContext.from_storm(
        {"taskid": 1, "componentid": component, "task->component": {"1": component}, "stream->outputfields": outputs}
    )


def prepared(cls: type[Component], outputs: Optional[dict[str, list[str]]] = None, conf: Any = None,
             host: Optional[RecordingHost] = None) -> tuple[Any, Any]:
    """Return an instance of ``cls`` prepared on ``host`` (a new RecordingHost by default)."""
    comp = cls()
    ctx = context(outputs=outputs)
    host = RecordingHost(component=ctx.component_id, output_fields=ctx.output_fields) if host is None else host
    comp._squall_prepare(host, conf or {}, ctx)
    return comp, host


def tup(tup_id: Any, *values: Any, stream: str = "default") -> Tuple:
    return make_tuple(values, component="src", stream=stream, task=2, id=tup_id)


def tick(tup_id: Any = "t") -> Tuple:
    return tick_tuple(id=tup_id)
