"""Components and topologies the harness tests run (importable: the embedded engine needs it)."""

from __future__ import annotations

from collections import Counter

from squall import BatchingBolt, Bolt, Grouping, ReliableSpout, Spout, Stream, Topology


class LineSpout(Spout):
    outputs = ["line"]

    def next_tuple(self):
        pass


class SplitBolt(Bolt):
    outputs = ["word", Stream(["line"], name="empty")]

    def process(self, tup):
        words = tup.values.line.split()
        if not words:
            self.emit([tup.values.line], stream="empty")
        for word in words:
            self.emit([word])


class CountBolt(Bolt):
    outputs = ["word", "count"]

    def initialize(self, conf, context):
        self.counts = Counter()

    def process(self, tup):
        self.counts[tup.values.word] += 1
        self.emit([tup.values.word, self.counts[tup.values.word]])


class WordCount(Topology):
    lines = LineSpout.spec()
    split = SplitBolt.spec(inputs={lines: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=3)


class FailOnBoom(Bolt):
    outputs = ["word"]

    def process(self, tup):
        if tup.values.word == "boom":
            raise ValueError("boom!")
        self.emit([tup.values.word])


class GoOnBolt(FailOnBoom):
    exit_on_exception = False


class Crashy(Topology):
    lines = LineSpout.spec()
    split = SplitBolt.spec(inputs=[lines])
    check = FailOnBoom.spec(inputs=[split])


class Lenient(Topology):
    lines = LineSpout.spec()
    split = SplitBolt.spec(inputs=[lines])
    check = GoOnBolt.spec(inputs=[split])


class Batcher(BatchingBolt):
    outputs = ["word", "n"]
    ticks_between_batches = 2

    def group_key(self, tup):
        return tup.values.word

    def process_batch(self, key, tups):
        self.emit([key, len(tups)])


class Batched(Topology):
    lines = LineSpout.spec()
    split = SplitBolt.spec(inputs=[lines])
    batch = Batcher.spec(inputs={split: Grouping.fields("word")}, par=2)


class Numbers(ReliableSpout):
    outputs = ["n"]
    max_fails = 2

    def initialize(self, conf, context):
        self.n = 0
        self.limit = conf.get("numbers.limit", 3)

    def next_tuple(self):
        if self.n < self.limit:
            self.emit([self.n], tup_id=self.n)
            self.n += 1


class FailOdd(Bolt):
    outputs = ["n"]
    auto_ack = False

    def process(self, tup):
        if tup.values.n % 2:
            self.fail(tup)
        else:
            self.emit([tup.values.n])
            self.ack(tup)


class Replays(Topology):
    numbers = Numbers.spec()
    odd = FailOdd.spec(inputs=[numbers])


class Holder(Bolt):
    """Never acks: its trees stay pending."""

    outputs = []
    auto_ack = False


class Held(Topology):
    lines = LineSpout.spec()
    hold = Holder.spec(inputs=[lines])


class Fanout(Bolt):
    outputs = ["word", "task"]

    def process(self, tup):
        self.emit([tup.values.word, self.task_id])


class Groupings(Topology):
    lines = LineSpout.spec()
    split = SplitBolt.spec(inputs=[lines])
    to_all = Fanout.spec(inputs={split: Grouping.ALL}, par=3)
    to_global = Fanout.spec(inputs={split: Grouping.GLOBAL}, par=3)
    by_word = Fanout.spec(inputs={split: Grouping.fields("word")}, par=3)
    partial = Fanout.spec(inputs={split: Grouping.partial_key("word")}, par=3)
    shuffled = Fanout.spec(inputs={split: Grouping.SHUFFLE}, par=3)
