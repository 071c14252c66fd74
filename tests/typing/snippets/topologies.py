"""A user's topology class, run in-process and on the embedded engine's API."""

from __future__ import annotations

from squall import Grouping, Stream, Topology, TopologyModel

from .bolts import CountBolt, CountPerWord, SplitBolt
from .spouts import SentenceSpout


class WordCount(Topology):
    config = {"topology.message.timeout.secs": 30}
    sentences = SentenceSpout.spec(par=1)
    split = SplitBolt.spec(inputs={sentences: Grouping.SHUFFLE}, par=2)
    count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2)
    batches = CountPerWord.spec(inputs=[split["default"]], par=1)


def model() -> TopologyModel:
    return WordCount.model


def streams() -> list[Stream]:
    return [Stream(fields=["word"]), Stream(fields=["n"], direct=True)]
