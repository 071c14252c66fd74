"""A recording ComponentHost for unit tests of the API layer."""

from __future__ import annotations

from typing import Any

from squall.api import TopologyContext, Tuple


class RecordingHost:
    """Record every call a component makes to its host."""

    def __init__(self) -> None:
        self.emits: list[dict[str, Any]] = []
        self.acks: list[Any] = []
        self.fails: list[Any] = []
        self.logs: list[tuple[str, int]] = []
        self.errors: list[str] = []
        self.fatals: list[BaseException] = []

    def emit(self, stream, values, anchors, tup_id, direct_task, need_task_ids):
        self.emits.append(
            {"stream": stream, "values": values, "anchors": list(anchors), "id": tup_id, "task": direct_task}
        )
        return [1] if need_task_ids else None

    def ack(self, tup_id):
        self.acks.append(tup_id)

    def fail(self, tup_id):
        self.fails.append(tup_id)

    def log(self, message, level):
        self.logs.append((message, level))

    def report_error(self, message):
        self.errors.append(message)

    def fatal(self, error):
        self.fatals.append(error)


def context(component: str = "c", outputs: dict[str, list[str]] | None = None) -> TopologyContext:
    outputs = {"default": ["x"]} if outputs is None else outputs
    return TopologyContext.from_storm(
        {"taskid": 1, "componentid": component, "task->component": {"1": component}, "stream->outputfields": outputs}
    )


def prepared(cls, outputs=None, conf=None):
    comp = cls()
    host = RecordingHost()
    comp._squall_prepare(host, conf or {}, context(outputs=outputs))
    return comp, host


def tup(tup_id: Any, *values: Any, stream: str = "default") -> Tuple:
    return Tuple(tup_id, "src", stream, 2, values)


def tick(tup_id: Any = "t") -> Tuple:
    return Tuple(tup_id, "__system", "__tick", -1, ())
