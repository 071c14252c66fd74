"""The wordcount the Storm benchmark runs: squall components and pystorm 3.1.4 ones.

spout (tracked 10-word sentences) -> split (one word per tuple, anchored) -> count
(fields on the word). Each task appends one JSON line per second to
``<bench.out>/<kind>-<component>-<pid>.jsonl``: the spout its cumulative acks and a
sample of complete latencies (ms, measured from emit to the ack callback), the count bolt
its cumulative words. The bench reads those files; the components never print.
"""

from __future__ import annotations

import json
import os
import sys
import time

from squall import Bolt, Grouping, Spout, Topology

OUT_KEY = "bench.out"
SENTENCES = [
    "the quick brown fox jumps over the lazy dog again",
    "snow white and the seven dwarfs ate an apple pie",
    "a stitch in time saves nine said the old tailor",
    "all that glitters is not gold nor silver nor brass",
]
_SAMPLE_EVERY = 16


class Progress:
    """Write cumulative figures once a second (cheap: one clock read per call)."""

    def __init__(self, conf: dict, kind: str, component: str) -> None:
        out = conf.get(OUT_KEY) or "."
        self.path = os.path.join(out, f"{kind}-{component}-{os.getpid()}.jsonl")
        self.next_write = time.monotonic() + 1.0

    def due(self) -> bool:
        return time.monotonic() >= self.next_write

    def write(self, **fields) -> None:
        self.next_write = time.monotonic() + 1.0
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"t": time.time(), **fields}) + "\n")


class SpoutLogic:
    """What both spouts do: tracked sentences, acks counted, latencies sampled."""

    def start(self, conf: dict, component: str) -> None:
        self.n = 0
        self.acked = 0
        self.failed = 0
        self.sent: dict[int, float] = {}
        self.latencies: list[float] = []
        self.progress = Progress(conf, "spout", component)

    def next_values(self) -> tuple[list, int]:
        self.n += 1
        self.sent[self.n] = time.perf_counter()
        return [SENTENCES[self.n & 3]], self.n

    def on_ack(self, tup_id) -> None:
        started = self.sent.pop(tup_id, None)
        self.acked += 1
        if started is not None and self.acked % _SAMPLE_EVERY == 0:
            self.latencies.append((time.perf_counter() - started) * 1000.0)
        if self.progress.due():
            self.progress.write(acked=self.acked, failed=self.failed, lat_ms=self.latencies)
            self.latencies = []

    def on_fail(self, tup_id) -> None:
        self.sent.pop(tup_id, None)
        self.failed += 1


class Sentences(Spout):
    """squall: one tracked sentence per next_tuple."""

    outputs = ["sentence"]

    def initialize(self, conf, context):
        self.logic = SpoutLogic()
        self.logic.start(conf, context.component_id)

    def next_tuple(self):
        values, tup_id = self.logic.next_values()
        self.emit(values, tup_id=tup_id)

    def ack(self, tup_id):
        self.logic.on_ack(tup_id)

    def fail(self, tup_id):
        self.logic.on_fail(tup_id)


class Split(Bolt):
    """squall: one anchored tuple per word (auto-anchored, auto-acked)."""

    outputs = ["word"]

    def process(self, tup):
        for word in tup.values[0].split():
            self.emit([word])


class Count(Bolt):
    """squall: count words; report the total processed once a second."""

    outputs = ["word", "count"]

    def initialize(self, conf, context):
        self.counts: dict[str, int] = {}
        self.words = 0
        self.progress = Progress(conf, "count", context.component_id)

    def process(self, tup):
        word = tup.values[0]
        self.counts[word] = self.counts.get(word, 0) + 1
        self.words += 1
        if self.progress.due():
            self.progress.write(words=self.words)


def wordcount(par: int) -> type:
    """Return the wordcount Topology class with ``par`` tasks per component."""

    class WordCount(Topology):
        sentences = Sentences.spec(par=par)
        split = Split.spec(inputs={sentences: Grouping.SHUFFLE}, par=par)
        count = Count.spec(inputs={split: Grouping.fields("word")}, par=par)

    return WordCount


def pystorm_main(component: str) -> None:
    """Run the pystorm 3.1.4 (JSON) version of ``component`` on this process's stdio."""
    import pystorm

    class PySentences(pystorm.Spout):
        def initialize(self, conf, context):
            self.logic = SpoutLogic()
            self.logic.start(conf, context["componentid"])

        def next_tuple(self):
            values, tup_id = self.logic.next_values()
            self.emit(values, tup_id=tup_id, need_task_ids=False)

        def ack(self, tup_id):
            self.logic.on_ack(tup_id)

        def fail(self, tup_id):
            self.logic.on_fail(tup_id)

    class PySplit(pystorm.Bolt):
        def process(self, tup):
            for word in tup.values[0].split():
                self.emit([word], need_task_ids=False)

    class PyCount(pystorm.Bolt):
        def initialize(self, conf, context):
            self.counts = {}
            self.words = 0
            self.progress = Progress(conf, "count", context["componentid"])

        def process(self, tup):
            word = tup.values[0]
            self.counts[word] = self.counts.get(word, 0) + 1
            self.words += 1
            if self.progress.due():
                self.progress.write(words=self.words)

    classes = {"sentences": PySentences, "split": PySplit, "count": PyCount}
    classes[component](serializer="json").run()


if __name__ == "__main__":
    pystorm_main(sys.argv[1])
