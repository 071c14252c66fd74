"""The list-fed spout that ``run_topology`` puts in place of the spouts it is given inputs for."""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar, Mapping, Optional

from squall.api import Spout, TopologyContext

ROWS_KEY = "squall.testing.feed.rows"
RECORD_KEY = "squall.testing.record.dir"


class FeedSpout(Spout):
    """Emit each given row once, tracked with an id; record which ids were acked or failed.

    Its rows come from the component conf key ``squall.testing.feed.rows``: a list of
    ``[stream, id, values]``. It emits one row per ``next_tuple`` call and never
    replays (a failed id is reported as failed). When ``squall.testing.record.dir``
    is set, acks and fails are appended to files there (one per task), so a run in
    other processes can be read back.
    """

    outputs: ClassVar[list[Any]] = []

    def initialize(self, conf: Mapping[str, Any], context: TopologyContext) -> None:
        rows = conf.get(ROWS_KEY)
        if not isinstance(rows, list):
            raise ValueError(f"FeedSpout {context.component_id!r}: conf {ROWS_KEY!r} must be a list of rows")
        self._rows = [(stream, tup_id, list(values)) for stream, tup_id, values in rows]
        self._next = 0
        self._record: Optional[Any] = None
        record_dir = conf.get(RECORD_KEY)
        if record_dir:
            path = os.path.join(record_dir, f"feed-{context.component_id}-{context.task_id}.jsonl")
            self._record = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by the process end

    def next_tuple(self) -> None:
        if self._next >= len(self._rows):
            return
        stream, tup_id, values = self._rows[self._next]
        self._next += 1
        self.emit(values, tup_id=tup_id, stream=stream)

    def ack(self, tup_id: Any) -> None:
        self._write("ack", tup_id)

    def fail(self, tup_id: Any) -> None:
        self._write("fail", tup_id)

    def _write(self, event: str, tup_id: Any) -> None:
        if self._record is not None:
            self._record.write(json.dumps([event, tup_id]) + "\n")
            self._record.flush()
