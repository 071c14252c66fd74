"""Count words of the lines in a Kafka topic; write each new count to another topic.

With a dev broker (``squall kafka up``) and the two topics::

    squall kafka topic create lines --partitions 4 && squall kafka topic create counts
    printf 'the cat sat\\nthe dog ran\\n' | squall kafka produce lines
    squall run examples/kafka_wordcount.py --until-idle
    squall kafka consume counts --from-beginning      # word<TAB>count

Offsets of ``lines`` are committed only once every word of a line is counted and
written to ``counts`` (at-least-once): stop it at any point, start it again, and it goes
on from the last commit. The same file runs on Storm: ``squall submit``.
"""

from __future__ import annotations

from collections import Counter

from squall import Bolt, Grouping, Topology
from squall.connectors.kafka import KafkaBolt, KafkaSpout


class Lines(KafkaSpout):
    """Read ``lines``; the spout's tasks share its partitions as one consumer group."""

    topics = ["lines"]
    group_id = "kafka-wordcount"
    outputs = ["line"]

    def to_values(self, record):
        return [record.value.decode("utf-8")]


class SplitBolt(Bolt):
    outputs = ["word"]

    def process(self, tup):
        for word in tup.values.line.split():
            self.emit([word])


class CountBolt(Bolt):
    outputs = ["word", "count"]

    def initialize(self, conf, context):
        self.counts = Counter()

    def process(self, tup):
        word = tup.values.word
        self.counts[word] += 1
        self.emit([word, self.counts[word]])


class Counts(KafkaBolt):
    """Write ``word -> count`` records; a line's offset commits once they are all acknowledged."""

    topic = "counts"
    key_field = "word"
    value_field = "count"


class KafkaWordCount(Topology):
    lines = Lines.spec(par=2)
    split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2)
    counts = Counts.spec(inputs={count: Grouping.SHUFFLE})
