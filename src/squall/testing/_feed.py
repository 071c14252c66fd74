"""The list-fed spout that ``run_topology`` puts in place of the spouts it is given inputs for."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from squall.api import Spout, TopologyContext

ROWS_KEY = "squall.testing.feed.rows"


class FeedSpout(Spout):
    """Emit each given row once, tracked with an id.

    Its rows come from the component conf key ``squall.testing.feed.rows``: a list of
    ``[stream, id, values]``. It emits one row per ``next_tuple`` call and never
    replays: the runner reports which ids were acked or failed.
    """

    outputs: ClassVar[list[Any]] = []

    def initialize(self, conf: Mapping[str, Any], context: TopologyContext) -> None:
        rows = conf.get(ROWS_KEY)
        if not isinstance(rows, list):
            raise ValueError(f"FeedSpout {context.component_id!r}: conf {ROWS_KEY!r} must be a list of rows")
        self._rows = [(stream, tup_id, list(values)) for stream, tup_id, values in rows]
        self._next = 0

    def next_tuple(self) -> None:
        if self._next >= len(self._rows):
            return
        stream, tup_id, values = self._rows[self._next]
        self._next += 1
        self.emit(values, tup_id=tup_id, stream=stream)
