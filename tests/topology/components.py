"""Small components the topology tests wire together."""

from squall import Bolt, Spout, Stream


class LineSpout(Spout):
    outputs = ["line"]


class SplitBolt(Bolt):
    outputs = ["word", Stream(["line", "reason"], name="errors"), Stream(["word"], name="direct", direct=True)]


class CountBolt(Bolt):
    outputs = ["word", "count"]


class SinkBolt(Bolt):
    pass
