"""The demo: count words of an endless stream of sentences on every core.

Run it with ``squall run examples/wordcount.py -t 15``.
"""

from __future__ import annotations

import itertools
from collections import Counter

from squall import Bolt, Grouping, ReliableSpout, Topology

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "a stream processing engine that defeats the python gil",
    "every core of one machine or a whole storm cluster",
    "spouts emit tuples and bolts process them",
    "at least once processing with acking and replay",
]


class SentenceSpout(ReliableSpout):
    """Emit sentences forever, each with an id so it is tracked and replayed on failure."""

    outputs = ["sentence"]

    def initialize(self, conf, context):
        self.sentences = itertools.cycle(SENTENCES)
        self.next_id = 0

    def next_tuple(self):
        self.next_id += 1
        self.emit([next(self.sentences)], tup_id=self.next_id)


class SplitBolt(Bolt):
    """Split a sentence into words (emits are anchored and the input acked for you)."""

    outputs = ["word"]

    def process(self, tup):
        for word in tup.values.sentence.split():
            self.emit([word])


class CountBolt(Bolt):
    """Count words; the fields grouping sends each word to the same task every time."""

    outputs = ["word", "count"]

    def initialize(self, conf, context):
        self.counts = Counter()

    def process(self, tup):
        word = tup.values.word
        self.counts[word] += 1
        self.emit([word, self.counts[word]])


class WordCount(Topology):
    config = {"topology.message.timeout.secs": 30, "topology.max.spout.pending": 2000}
    sentences = SentenceSpout.spec(par=1)
    split = SplitBolt.spec(inputs={sentences: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2)
