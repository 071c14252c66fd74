"""A user's spouts: next_tuple, tracked emits, ack and fail callbacks."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from squall import ReliableSpout, Spout, TopologyContext


class SentenceSpout(Spout):
    outputs = ["sentence"]

    def initialize(self, conf: Mapping[str, Any], context: TopologyContext) -> None:
        self.ids = itertools.count()

    def next_tuple(self) -> None:
        tup_id = next(self.ids)
        self.emit(["the cat sat"], tup_id=tup_id)

    def ack(self, tup_id: Any) -> None:
        self.log(f"acked {tup_id}")

    def fail(self, tup_id: Any) -> None:
        self.emit(["the cat sat"], tup_id=tup_id)


class Numbers(ReliableSpout):
    outputs = ["n"]

    def initialize(self, conf: Mapping[str, Any], context: TopologyContext) -> None:
        self.n = 0

    def next_tuple(self) -> None:
        self.n += 1
        self.emit([self.n])
