"""A user's bolts: values by field name and by position, emits, ticks, explicit acks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from squall import BatchingBolt, Bolt, TopologyContext, Tuple


class SplitBolt(Bolt):
    outputs = ["word"]

    def process(self, tup: Tuple) -> None:
        sentence: str = tup.values.sentence
        for word in sentence.split():
            self.emit([word])


class CountBolt(Bolt):
    outputs = ["word", "count"]

    def initialize(self, conf: Mapping[str, Any], context: TopologyContext) -> None:
        self.counts: Counter[str] = Counter()

    def process(self, tup: Tuple) -> None:
        word = str(tup.values[0])
        self.counts[word] += 1
        task_ids = self.emit([word, self.counts[word]], anchors=[tup], need_task_ids=True)
        if task_ids is not None:
            self.log(f"sent to {len(task_ids)} task(s)")

    def process_tick(self, tup: Tuple) -> None:
        freq = tup.values[0]
        self.log(f"tick every {freq} s, {len(tup.values)} value(s)")


class ManualAckBolt(Bolt):
    auto_ack = False

    def process(self, tup: Tuple) -> None:
        if tup.is_tick:
            return
        if tup.values.word:
            self.ack(tup)
        else:
            self.fail(tup)


class CountPerWord(BatchingBolt):
    outputs = ["word", "count"]

    def group_key(self, tup: Tuple) -> str:
        return str(tup.values.word)

    def process_batch(self, key: object, tups: list[Tuple]) -> None:
        self.emit([key, len(tups)])
